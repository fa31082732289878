"""The Ward tree cut into n_segments: each leaf's stable Ward segment id."""

from customer_segmentation.pipeline import ward_leaf_segments
from customer_segmentation.tables import read_feature_names, read_segment_count


def model(dbt, session):
    dbt.config(materialized="table")
    return ward_leaf_segments(
        dbt.ref("int_ward_merges"),
        dbt.ref("int_ward_leaf_centroids"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        n_segments=read_segment_count(dbt.ref("int_segment_count")),
        run_table=dbt.ref("int_segmentation_run"),
    )
