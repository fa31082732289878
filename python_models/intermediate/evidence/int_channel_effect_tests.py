"""Kruskal-Wallis across channels, per region and overall, for minutes and CLV."""

from customer_segmentation.evidence import channel_tests
from customer_segmentation.settings import Settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(dbt.config.get("segmentation_settings"))
    return channel_tests(
        dbt.ref("int_customers_cleaned"),
        spark_collect_max_rows=settings.spark.collect_max_rows,
    )
