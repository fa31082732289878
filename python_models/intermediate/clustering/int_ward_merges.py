"""The full Ward merge table (left, right, height, size): a dendrogram you can draw from SQL."""

from customer_segmentation.pipeline import ward_merges
from customer_segmentation.tables import read_feature_names


def model(dbt, session):
    dbt.config(materialized="table")
    return ward_merges(
        dbt.ref("int_ward_leaf_centroids"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        run_table=dbt.ref("int_segmentation_run"),
    )
