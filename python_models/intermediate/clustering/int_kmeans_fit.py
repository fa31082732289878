"""The best k-means partition found: one row per segment, its centre and the search's figures.

Starts from the Ward cut and from the best centres int_k_selection found at this k (when it scored
it), so the fit is never worse than the partition int_k_selection reports on the same customers.
A scoring build returns the stored model version's centres instead (no fit), and a refit keeps the
ids of the previous version's segments it continues (README "Segments over time").
"""

from customer_segmentation.pipeline import kmeans_fit
from customer_segmentation.tables import (
    parse_bool,
    parse_int,
    read_feature_names,
    read_segment_count,
)


def model(dbt, session):
    dbt.config(materialized="table")
    return kmeans_fit(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_ward_leaf_centroids"),
        dbt.ref("int_ward_leaf_segments"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        n_segments=read_segment_count(dbt.ref("int_segment_count")),
        random_state=parse_int(dbt.config.get("random_state"), "random_state"),
        n_init=parse_int(dbt.config.get("kmeans_n_init"), "kmeans_n_init", minimum=0),
        max_iter=parse_int(dbt.config.get("kmeans_max_iter"), "kmeans_max_iter", minimum=1),
        large_n_threshold=parse_int(
            dbt.config.get("kmeans_large_n_threshold"), "kmeans_large_n_threshold", minimum=1
        ),
        sample_size=parse_int(
            dbt.config.get("kmeans_sample_size"), "kmeans_sample_size", minimum=1
        ),
        source=dbt.config.get("customers_path"),
        spark_collect_max_rows=parse_int(
            dbt.config.get("spark_collect_max_rows"), "spark_collect_max_rows", minimum=0
        ),
        fail_for_test=parse_bool(
            dbt.config.get("fail_clustering_for_test"), "fail_clustering_for_test"
        ),
        k_selection_table=dbt.ref("int_k_selection"),
        run_table=dbt.ref("int_segmentation_run"),
        history_tables={
            "versions": dbt.ref("int_stored_versions"),
            "centres": dbt.ref("int_stored_centres"),
            "scalers": dbt.ref("int_stored_scalers"),
            "segments": dbt.ref("int_stored_segments"),
            "previous_members": dbt.ref("int_previous_membership"),
            "scaler": dbt.ref("int_segmentation_scaler"),
        },
    )
