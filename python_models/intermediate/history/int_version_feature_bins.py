"""The training distribution of each feature of a new model version (decile bins), kept with the
version so every later snapshot's drift (population stability index) is measured against it."""

from customer_segmentation.tables import read_feature_names
from customer_segmentation.versioning import feature_bins


def model(dbt, session):
    dbt.config(materialized="table")
    return feature_bins(
        dbt.ref("int_customer_features_encoded"),
        dbt.ref("int_segmentation_run"),
        read_feature_names(dbt.ref("int_feature_scaler")),
    )
