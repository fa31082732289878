"""Each customer's leaf in the Ward tree: itself (exact Ward) or its micro-cluster (two-stage)."""

from customer_segmentation.pipeline import ward_leaves
from customer_segmentation.settings import Settings
from customer_segmentation.tables import parse_n_segments, read_feature_names


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(
        dbt.config.get("segmentation_settings"), random_state=dbt.config.get("random_state")
    )
    return ward_leaves(
        dbt.ref("int_customer_features_scaled"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        n_segments=parse_n_segments(dbt.config.get("n_segments")),
        exact_max_rows=settings.ward.exact_max_rows,
        n_micro_clusters=settings.ward.n_micro_clusters,
        micro_sample_size=settings.ward.micro_sample_size,
        random_state=settings.random_state,
        source=dbt.config.get("customers_path"),
        spark_collect_max_rows=settings.spark.collect_max_rows,
        run_table=dbt.ref("int_segmentation_run"),
    )
