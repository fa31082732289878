{#-
    KEPT: per snapshot and feature, how far the snapshot's customers moved from the training
    data of the model version that scored them: the population stability index (PSI, over the
    version's decile bins; 0 = the same distribution) and the shift of the mean in training
    standard deviations. A build replaces its own snapshot's rows.
-#}
{{ kept_table('snapshot_date') }}
-- depends_on: {{ ref('mart_customer_segment_history') }}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

drift as (

    select * from {{ ref('int_snapshot_feature_drift') }}

),

final as (

    select
        {{ snapshot_date_literal() }} as snapshot_date,
        cast(model_version.model_version as bigint) as model_version,
        drift.feature_position,
        drift.feature_name,
        drift.feature_words,
        drift.psi,
        drift.drift_level,
        drift.training_mean,
        drift.snapshot_mean,
        drift.mean_shift_sd
    from drift
    cross join model_version

)

select * from final
