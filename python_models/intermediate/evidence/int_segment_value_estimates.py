"""Per method and segment: mean CLV and median minutes with bootstrap intervals."""

from customer_segmentation.evidence import parse_fraction, segment_intervals
from customer_segmentation.tables import parse_int


def model(dbt, session):
    dbt.config(materialized="table")
    return segment_intervals(
        dbt.ref("int_customer_segments_long"),
        n_resamples=parse_int(
            dbt.config.get("evidence_n_resamples"), "evidence_n_resamples", minimum=100
        ),
        confidence=parse_fraction(
            dbt.config.get("evidence_confidence_level"), "evidence_confidence_level"
        ),
        random_state=parse_int(dbt.config.get("random_state"), "random_state"),
        max_rows=parse_int(
            dbt.config.get("evidence_bootstrap_max_customers"),
            "evidence_bootstrap_max_customers",
            minimum=1000,
        ),
        spark_collect_max_rows=parse_int(
            dbt.config.get("spark_collect_max_rows"), "spark_collect_max_rows", minimum=0
        ),
    )
