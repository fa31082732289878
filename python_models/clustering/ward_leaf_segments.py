"""The Ward tree cut into n_segments: each leaf's stable Ward segment id."""

from customer_segmentation.pipeline import ward_leaf_segments
from customer_segmentation.tables import parse_feature_list, parse_int


def model(dbt, session):
    dbt.config(materialized="table")
    return ward_leaf_segments(
        dbt.ref("ward_merges"),
        dbt.ref("int_ward_leaf_centroids"),
        parse_feature_list(dbt.config.get("segmentation_features")),
        n_segments=parse_int(dbt.config.get("n_segments"), "n_segments", minimum=1),
    )
