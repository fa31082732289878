"""Kruskal-Wallis across channels, per region and overall, for minutes and CLV."""

from customer_segmentation.evidence import channel_tests
from customer_segmentation.tables import parse_int


def model(dbt, session):
    dbt.config(materialized="table")
    return channel_tests(
        dbt.ref("int_customers_cleaned"),
        spark_collect_max_rows=parse_int(
            dbt.config.get("spark_collect_max_rows"), "spark_collect_max_rows", minimum=0
        ),
    )
