"""This build's plan, one row: fit a new model version or score with a stored one, and why.

The run vars (segmentation_mode, model_version, drop_segmentation_history) are checked here
(customer_segmentation.history.parse_run_settings), one message per bad value, before
anything is fitted or kept; the matching and drift thresholds come validated from the settings
(customer_segmentation.settings, group history).
"""

from customer_segmentation.settings import Settings
from customer_segmentation.tables import read_feature_names
from customer_segmentation.versioning import segmentation_run


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(dbt.config.get("segmentation_settings"))
    return segmentation_run(
        dbt.ref("int_stored_versions"),
        dbt.ref("int_input_fingerprint"),
        dbt.ref("int_feature_scaler"),
        run_values={
            "segmentation_mode": dbt.config.get("segmentation_mode"),
            "model_version": dbt.config.get("model_version"),
            "drop_segmentation_history": dbt.config.get("drop_segmentation_history"),
        },
        thresholds=settings.history,
        features=read_feature_names(dbt.ref("int_feature_scaler")),
        n_segments_setting=dbt.config.get("n_segments"),
    )
