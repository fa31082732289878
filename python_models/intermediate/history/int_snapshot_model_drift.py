"""One row: the snapshot's drift against its model version and whether to refit, in a sentence."""

from customer_segmentation.versioning import model_drift


def model(dbt, session):
    dbt.config(materialized="table")
    return model_drift(
        dbt.ref("int_snapshot_feature_drift"),
        dbt.ref("int_snapshot_segment_drift"),
        dbt.ref("int_segmentation_run"),
    )
