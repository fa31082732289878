"""How a refit's segments descend from the previous version's: kept, new, retired, split, merged.

No rows in a scoring build or for the first version's previous (there is none: every segment is
new). See customer_segmentation.history.lineage_rows.
"""

from customer_segmentation.settings import Settings
from customer_segmentation.tables import read_feature_names
from customer_segmentation.versioning import segment_lineage


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(dbt.config.get("segmentation_settings"))
    return segment_lineage(
        dbt.ref("int_customer_features_scaled"),
        dbt.ref("int_kmeans_fit"),
        dbt.ref("int_segmentation_run"),
        dbt.ref("int_stored_centres"),
        dbt.ref("int_stored_scalers"),
        dbt.ref("int_stored_segments"),
        dbt.ref("int_previous_membership"),
        dbt.ref("int_segmentation_scaler"),
        read_feature_names(dbt.ref("int_feature_scaler")),
        spark_collect_max_rows=settings.spark.collect_max_rows,
    )
