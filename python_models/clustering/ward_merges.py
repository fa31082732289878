"""The full Ward merge table (left, right, height, size): a dendrogram you can draw from SQL."""

from customer_segmentation.pipeline import ward_merges
from customer_segmentation.tables import parse_feature_list


def model(dbt, session):
    dbt.config(materialized="table")
    return ward_merges(
        dbt.ref("int_ward_leaf_centroids"),
        parse_feature_list(dbt.config.get("segmentation_features")),
        run_table=dbt.ref("segmentation_run"),
    )
