"""Per k-means segment, how reproducible it is: mean best-match Jaccard over bootstrap refits."""

from customer_segmentation.pipeline import segment_stability
from customer_segmentation.tables import parse_int, read_feature_names


def model(dbt, session):
    dbt.config(materialized="table")
    return segment_stability(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_kmeans_assignments"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        n_resamples=parse_int(
            dbt.config.get("stability_n_resamples"), "stability_n_resamples", minimum=1
        ),
        sample_size=parse_int(
            dbt.config.get("stability_sample_size"), "stability_sample_size", minimum=100
        ),
        random_state=parse_int(dbt.config.get("random_state"), "random_state"),
        spark_collect_max_rows=parse_int(
            dbt.config.get("spark_collect_max_rows"), "spark_collect_max_rows", minimum=0
        ),
        run_table=dbt.ref("int_segmentation_run"),
    )
