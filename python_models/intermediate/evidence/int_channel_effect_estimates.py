"""Per region (and all regions) and channel: figures with bootstrap intervals and region gaps."""

from customer_segmentation.evidence import channel_effects, parse_fraction
from customer_segmentation.tables import parse_int


def model(dbt, session):
    dbt.config(materialized="table")
    return channel_effects(
        dbt.ref("int_customers_cleaned"),
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
