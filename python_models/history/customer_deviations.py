"""Per customer, the three features that most set it apart from its segment's centre."""

from customer_segmentation.tables import parse_feature_list
from customer_segmentation.versioning import customer_deviations


def model(dbt, session):
    dbt.config(materialized="table")
    return customer_deviations(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("kmeans_fit"),
        dbt.ref("kmeans_assignments"),
        parse_feature_list(dbt.config.get("segmentation_features")),
    )
