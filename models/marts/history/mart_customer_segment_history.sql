{#-
    KEPT: the membership history, one row per snapshot and customer: the model version that
    scored it, its k-means segment (id and name) and distance to the centre, and the customer's
    region, channel, CLV and watch time at that snapshot. A build replaces the rows of its own
    snapshot (var snapshot_date, default the build day) and keeps every other snapshot, so
    re-running a snapshot is idempotent. Written after the version tables (depends_on), so a
    snapshot always names a complete version.
-#}
{{ kept_table('snapshot_date') }}
-- depends_on: {{ ref('mart_model_versions') }}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

scores as (

    select * from {{ ref('int_customer_scores') }}

),

customers as (

    select * from {{ ref('mart_customer_segments') }}

),

final as (

    select
        {{ snapshot_date_literal() }} as snapshot_date,
        scores.customer_id,
        cast(model_version.model_version as bigint) as model_version,
        scores.kmeans_segment_id as segment_id,
        customers.kmeans_segment_name as segment_name,
        scores.distance_to_center,
        customers.region_name,
        customers.channel_name,
        customers.clv,
        customers.minutes_watched
    from scores
    cross join model_version
    inner join customers on scores.customer_id = customers.customer_id

)

select * from final
