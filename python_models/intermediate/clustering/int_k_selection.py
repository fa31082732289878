"""Choosing k: every k of the range scored by k-means and Ward criteria, the auto choice marked."""

from customer_segmentation.pipeline import k_selection
from customer_segmentation.tables import parse_int, read_feature_names


def model(dbt, session):
    dbt.config(materialized="table")
    return k_selection(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_ward_leaf_centroids"),
        dbt.ref("int_ward_merges"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        min_k=parse_int(dbt.config.get("k_selection_min_k"), "k_selection_min_k", minimum=2),
        max_k=parse_int(dbt.config.get("k_selection_max_k"), "k_selection_max_k", minimum=2),
        sample_size=parse_int(
            dbt.config.get("k_selection_sample_size"), "k_selection_sample_size", minimum=100
        ),
        silhouette_sample_size=parse_int(
            dbt.config.get("k_selection_silhouette_sample_size"),
            "k_selection_silhouette_sample_size",
            minimum=100,
        ),
        n_init=parse_int(dbt.config.get("k_selection_n_init"), "k_selection_n_init", minimum=0),
        max_iter=parse_int(dbt.config.get("kmeans_max_iter"), "kmeans_max_iter", minimum=1),
        random_state=parse_int(dbt.config.get("random_state"), "random_state"),
        spark_collect_max_rows=parse_int(
            dbt.config.get("spark_collect_max_rows"), "spark_collect_max_rows", minimum=0
        ),
        run_table=dbt.ref("int_segmentation_run"),
    )
