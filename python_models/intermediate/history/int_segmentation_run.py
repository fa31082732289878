"""This build's plan, one row: fit a new model version or score with a stored one, and why.

Every history var is checked here (customer_segmentation.history.parse_history_settings), one
message per bad value, before anything is fitted or kept. dbt hands a Python model only the
config keys its code names literally, hence one dbt.config.get call per setting.
"""

from customer_segmentation.tables import read_feature_names
from customer_segmentation.versioning import segmentation_run


def model(dbt, session):
    dbt.config(materialized="table")
    settings = {
        "segmentation_mode": dbt.config.get("segmentation_mode"),
        "model_version": dbt.config.get("model_version"),
        "drop_segmentation_history": dbt.config.get("drop_segmentation_history"),
        "outlier_quantile": dbt.config.get("outlier_quantile"),
        "segment_match_max_distance": dbt.config.get("segment_match_max_distance"),
        "segment_match_min_jaccard": dbt.config.get("segment_match_min_jaccard"),
        "lineage_min_share": dbt.config.get("lineage_min_share"),
        "drift_psi_threshold": dbt.config.get("drift_psi_threshold"),
        "drift_share_threshold": dbt.config.get("drift_share_threshold"),
        "drift_distance_threshold": dbt.config.get("drift_distance_threshold"),
    }
    return segmentation_run(
        dbt.ref("int_stored_versions"),
        dbt.ref("int_input_fingerprint"),
        dbt.ref("int_feature_scaler"),
        settings_values=settings,
        features=read_feature_names(dbt.ref("int_feature_scaler")),
        n_segments_setting=dbt.config.get("n_segments"),
    )
