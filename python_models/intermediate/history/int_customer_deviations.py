"""Per customer, the three features that most set it apart from its segment's centre."""

from customer_segmentation.tables import read_feature_names
from customer_segmentation.versioning import customer_deviations


def model(dbt, session):
    dbt.config(materialized="table")
    return customer_deviations(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_kmeans_fit"),
        dbt.ref("int_kmeans_assignments"),
        read_feature_names(dbt.ref("int_feature_scaler")),
    )
