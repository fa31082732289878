{#-
    KEPT: per snapshot and k-means segment of the scoring model version: share of customers at
    training and now, the change, the mean distance to the centre at training and now, its rise,
    and the share of the segment's customers beyond its outlier distance. A build replaces its
    own snapshot's rows.
-#}
{{ kept_table('snapshot_date') }}
-- depends_on: {{ ref('mart_customer_segment_history') }}
with drift as (

    select * from {{ ref('int_snapshot_segment_drift') }}

),

final as (

    select
        {{ snapshot_date_literal() }} as snapshot_date,
        cast(drift.model_version as bigint) as model_version,
        drift.segment_id,
        drift.segment_name,
        drift.training_share,
        drift.snapshot_share,
        drift.share_change,
        drift.training_mean_distance,
        drift.snapshot_mean_distance,
        drift.mean_distance_rise,
        drift.outlier_share
    from drift

)

select * from final
