"""How a refit's segments descend from the previous version's: kept, new, retired, split, merged.

No rows in a scoring build or for the first version's previous (there is none: every segment is
new). See customer_segmentation.history.lineage_rows.
"""

from customer_segmentation.tables import parse_int, read_feature_names
from customer_segmentation.versioning import segment_lineage


def model(dbt, session):
    dbt.config(materialized="table")
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
        spark_collect_max_rows=parse_int(
            dbt.config.get("spark_collect_max_rows"), "spark_collect_max_rows", minimum=0
        ),
    )
