"""Every customer's k-means segment: the nearest centre of int_kmeans_fit."""

from customer_segmentation.pipeline import kmeans_assignments
from customer_segmentation.tables import parse_int, read_feature_names


def model(dbt, session):
    dbt.config(materialized="table")
    return kmeans_assignments(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_kmeans_fit"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        spark_collect_max_rows=parse_int(
            dbt.config.get("spark_collect_max_rows"), "spark_collect_max_rows", minimum=0
        ),
    )
