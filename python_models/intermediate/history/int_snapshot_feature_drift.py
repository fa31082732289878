"""Per feature: how far this snapshot moved from the scored version's training data (PSI)."""

from customer_segmentation.tables import read_feature_names
from customer_segmentation.versioning import feature_drift


def model(dbt, session):
    dbt.config(materialized="table")
    return feature_drift(
        dbt.ref("int_customer_features_encoded"),
        dbt.ref("int_run_feature_bins"),
        dbt.ref("int_segmentation_run"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        channels_table=dbt.ref("stg_channels"),
        regions_table=dbt.ref("stg_regions"),
    )
