"""A unique human name and a one-line profile for every segment of both methods."""

from customer_segmentation.pipeline import segment_names
from customer_segmentation.settings import Settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(dbt.config.get("segmentation_settings"))
    return segment_names(
        dbt.ref("int_segment_profiles"),
        dbt.ref("int_segment_mix"),
        dbt.ref("int_fixed_segment_names"),
        pure_share=settings.naming.pure_share,
    )
