{#-
    KEPT: one row per snapshot: is the model version still right for these customers? The
    largest feature shift (PSI) and its feature, the largest change of a segment's share, the
    rise of the mean distance to the centres, `refit_recommended` and the reason in a sentence
    (thresholds: vars drift_psi_threshold, drift_share_threshold, drift_distance_threshold).
    A build replaces its own snapshot's row.
-#}
{{ kept_table('snapshot_date') }}
-- depends_on: {{ ref('mart_customer_segment_history') }}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

drift as (

    select * from {{ ref('int_snapshot_model_drift') }}

),

scores as (

    select * from {{ ref('int_customer_scores') }}

),

customers as (

    select count(*) as customers from scores

),

final as (

    select
        {{ snapshot_date_literal() }} as snapshot_date,
        cast(model_version.model_version as bigint) as model_version,
        model_version.mode as build_mode,
        customers.customers,
        drift.max_psi,
        drift.most_shifted_feature,
        drift.max_share_change,
        drift.mean_distance_rise,
        drift.refit_recommended,
        drift.refit_reason
    from drift
    cross join model_version
    cross join customers

)

select * from final
