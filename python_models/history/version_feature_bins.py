"""The training distribution of each feature of a new model version (decile bins), kept with the
version so every later snapshot's drift (population stability index) is measured against it."""

from customer_segmentation.tables import parse_feature_list
from customer_segmentation.versioning import feature_bins


def model(dbt, session):
    dbt.config(materialized="table")
    return feature_bins(
        dbt.ref("int_customer_features_encoded"),
        dbt.ref("segmentation_run"),
        parse_feature_list(dbt.config.get("segmentation_features")),
    )
