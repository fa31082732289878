"""Choosing k: every k of the range scored by k-means and Ward criteria, the auto choice marked."""

from customer_segmentation.pipeline import k_selection
from customer_segmentation.settings import Settings
from customer_segmentation.tables import read_feature_names


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(
        dbt.config.get("segmentation_settings"), random_state=dbt.config.get("random_state")
    )
    return k_selection(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_ward_leaf_centroids"),
        dbt.ref("int_ward_merges"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        min_k=settings.k_selection.min_k,
        max_k=settings.k_selection.max_k,
        sample_size=settings.k_selection.sample_size,
        silhouette_sample_size=settings.k_selection.silhouette_sample_size,
        n_init=settings.k_selection.n_init,
        max_iter=settings.kmeans.max_iter,
        random_state=settings.random_state,
        spark_collect_max_rows=settings.spark.collect_max_rows,
        run_table=dbt.ref("int_segmentation_run"),
    )
