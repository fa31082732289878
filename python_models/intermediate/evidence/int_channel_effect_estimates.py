"""Per region (and all regions) and channel: figures with bootstrap intervals and region gaps."""

from customer_segmentation.evidence import channel_effects
from customer_segmentation.settings import Settings
from customer_segmentation.tables import parse_int


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(dbt.config.get("segmentation_settings"))
    return channel_effects(
        dbt.ref("int_customers_cleaned"),
        n_resamples=settings.evidence.n_resamples,
        confidence=settings.evidence.confidence_level,
        random_state=parse_int(dbt.config.get("random_state"), "random_state"),
        max_rows=settings.evidence.bootstrap_max_customers,
        spark_collect_max_rows=settings.spark.collect_max_rows,
    )
