{#-
    KEPT: the membership history, one row per snapshot and customer: the model version that
    scored it, its k-means segment (id and name) and distance to the centre, and the customer's
    region, channel, CLV and watch time at that snapshot. A build replaces the rows of its own
    snapshot (var snapshot_date, default the build day) and keeps every other snapshot, so
    re-running a snapshot is idempotent. Written after the version tables (depends_on), so a
    snapshot always names a complete version.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy=kept_strategy(),
    unique_key='snapshot_date',
    partition_by=kept_partition('snapshot_date'),
    full_refresh=drop_segmentation_history(),
    on_schema_change='append_new_columns'
) }}
-- depends_on: {{ ref('segmentation_model_versions') }}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

scores as (

    select * from {{ ref('int_customer_scores') }}

),

customers as (

    select * from {{ ref('int_customers_cleaned') }}

),

segment_names as (

    select * from {{ ref('segment_names') }}

),

regions as (

    select * from {{ ref('stg_regions') }}

),

channels as (

    select * from {{ ref('stg_channels') }}

),

final as (

    select
        {{ snapshot_date_literal() }} as snapshot_date,
        scores.customer_id,
        cast(model_version.model_version as bigint) as model_version,
        scores.kmeans_segment_id as segment_id,
        segment_names.segment_name,
        scores.distance_to_center,
        regions.region_name,
        channels.channel_name,
        customers.clv,
        customers.minutes_watched
    from scores
    cross join model_version
    inner join customers on scores.customer_id = customers.customer_id
    inner join segment_names
        on
        segment_names.segmentation_method = 'kmeans'
        and scores.kmeans_segment_id = segment_names.segment_id
    inner join regions on customers.region_code = regions.region_code
    inner join channels on customers.channel_code = channels.channel_code

)

select * from final
