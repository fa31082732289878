"""Every customer's k-means segment: the nearest centre of int_kmeans_fit."""

from customer_segmentation.pipeline import kmeans_assignments
from customer_segmentation.settings import Settings
from customer_segmentation.tables import read_feature_names


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(dbt.config.get("segmentation_settings"))
    return kmeans_assignments(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_kmeans_fit"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        spark_collect_max_rows=settings.spark.collect_max_rows,
    )
