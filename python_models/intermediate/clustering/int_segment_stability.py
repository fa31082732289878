"""Per k-means segment, how reproducible it is: mean best-match Jaccard over bootstrap refits."""

from customer_segmentation.pipeline import segment_stability
from customer_segmentation.settings import Settings
from customer_segmentation.tables import read_feature_names


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(
        dbt.config.get("segmentation_settings"), random_state=dbt.config.get("random_state")
    )
    return segment_stability(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_kmeans_assignments"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        n_resamples=settings.stability.n_resamples,
        sample_size=settings.stability.sample_size,
        random_state=settings.random_state,
        spark_collect_max_rows=settings.spark.collect_max_rows,
        run_table=dbt.ref("int_segmentation_run"),
        recovered_jaccard=settings.stability.recovered_jaccard,
    )
