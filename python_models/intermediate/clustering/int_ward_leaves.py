"""Each customer's leaf in the Ward tree: itself (exact Ward) or its micro-cluster (two-stage)."""

from customer_segmentation.pipeline import ward_leaves
from customer_segmentation.tables import parse_int, parse_n_segments, read_feature_names


def model(dbt, session):
    dbt.config(materialized="table")
    return ward_leaves(
        dbt.ref("int_customer_features_scaled"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        n_segments=parse_n_segments(dbt.config.get("n_segments")),
        exact_max_rows=parse_int(dbt.config.get("ward_exact_max_rows"), "ward_exact_max_rows"),
        n_micro_clusters=parse_int(
            dbt.config.get("ward_n_micro_clusters"), "ward_n_micro_clusters", minimum=2
        ),
        micro_sample_size=parse_int(
            dbt.config.get("ward_micro_sample_size"), "ward_micro_sample_size", minimum=1
        ),
        random_state=parse_int(dbt.config.get("random_state"), "random_state"),
        source=dbt.config.get("customers_path"),
        spark_collect_max_rows=parse_int(
            dbt.config.get("spark_collect_max_rows"), "spark_collect_max_rows", minimum=0
        ),
        run_table=dbt.ref("int_segmentation_run"),
    )
