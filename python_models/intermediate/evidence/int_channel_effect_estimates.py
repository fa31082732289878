"""Per region (and all regions) and channel: figures with bootstrap intervals and region gaps."""

from customer_segmentation.evidence import channel_effects
from customer_segmentation.settings import Settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(
        dbt.config.get("segmentation_settings"), random_state=dbt.config.get("random_state")
    )
    return channel_effects(
        dbt.ref("int_customers_cleaned"),
        n_resamples=settings.evidence.n_resamples,
        confidence=settings.evidence.confidence_level,
        random_state=settings.random_state,
        max_rows=settings.evidence.bootstrap_max_customers,
        spark_collect_max_rows=settings.spark.collect_max_rows,
    )
