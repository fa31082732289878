"""Per method and segment: mean CLV and median minutes with bootstrap intervals."""

from customer_segmentation.evidence import segment_intervals
from customer_segmentation.settings import Settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(
        dbt.config.get("segmentation_settings"), random_state=dbt.config.get("random_state")
    )
    return segment_intervals(
        dbt.ref("int_customer_segments_long"),
        n_resamples=settings.evidence.n_resamples,
        confidence=settings.evidence.confidence_level,
        random_state=settings.random_state,
        max_rows=settings.evidence.bootstrap_max_customers,
        spark_collect_max_rows=settings.spark.collect_max_rows,
    )
