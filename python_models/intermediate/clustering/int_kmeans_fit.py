"""The best k-means partition found: one row per segment, its centre and the search's figures.

Starts from the Ward cut and from the best centres int_k_selection found at this k (when it
scored it), so the fit is never worse than the partition int_k_selection reports on the same
customers. A scoring build returns the stored model version's centres instead (no fit), and a
refit keeps the ids of the previous version's segments it continues (README "Segments over
time").

Test hook: with the environment variable CUSTOMER_SEGMENTATION_TEST_FAIL_CLUSTERING set to 1 the
model raises, so a test can prove that a build failing mid-way publishes nothing. It is not a
setting: nothing in the project's configuration can turn it on.
"""

import os

from customer_segmentation.pipeline import kmeans_fit
from customer_segmentation.settings import Settings
from customer_segmentation.tables import read_feature_names, read_segment_count


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt-duckdb runs Python models in the dbt process, so the environment is the build's.
    if os.environ.get("CUSTOMER_SEGMENTATION_TEST_FAIL_CLUSTERING", "").strip() == "1":
        raise RuntimeError(
            "int_kmeans_fit failed on purpose (environment variable "
            "CUSTOMER_SEGMENTATION_TEST_FAIL_CLUSTERING=1, a test hook)"
        )
    settings = Settings.from_json(
        dbt.config.get("segmentation_settings"), random_state=dbt.config.get("random_state")
    )
    return kmeans_fit(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_ward_leaf_centroids"),
        dbt.ref("int_ward_leaf_segments"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        n_segments=read_segment_count(dbt.ref("int_segment_count")),
        random_state=settings.random_state,
        n_init=settings.kmeans.n_init,
        max_iter=settings.kmeans.max_iter,
        large_n_threshold=settings.kmeans.large_n_threshold,
        sample_size=settings.kmeans.sample_size,
        source=dbt.config.get("customers_path"),
        spark_collect_max_rows=settings.spark.collect_max_rows,
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
