"""Per feature: how far this snapshot moved from the scored version's training data (PSI)."""

from customer_segmentation.tables import parse_feature_list
from customer_segmentation.versioning import feature_drift


def model(dbt, session):
    dbt.config(materialized="table")
    return feature_drift(
        dbt.ref("int_customer_features_encoded"),
        dbt.ref("int_run_feature_bins"),
        dbt.ref("segmentation_run"),
        parse_feature_list(dbt.config.get("segmentation_features")),
        channels_table=dbt.ref("stg_channels"),
        regions_table=dbt.ref("stg_regions"),
    )
