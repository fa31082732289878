{#-
    Every customer of every two consecutive snapshots of mart_customer_segment_history, once per
    pair: both segments (null where the customer is not in that snapshot), both CLVs, region
    and channel, and the transition: stayed, moved (another segment), new (only in the later
    snapshot) or departed (only in the earlier). The transitions and movers marts read it.
    A view: both readers aggregate or filter it right away.
-#}
{{ config(materialized='view') }}
with history as (

    select * from {{ ref('mart_customer_segment_history') }}

),

snapshots as (

    select distinct snapshot_date from history

),

ordered as (

    select
        snapshot_date as to_snapshot_date,
        lag(snapshot_date) over (order by snapshot_date) as from_snapshot_date
    from snapshots

),

pairs as (

    select
        from_snapshot_date,
        to_snapshot_date
    from ordered
    where from_snapshot_date is not null

),

earlier as (

    select
        pairs.to_snapshot_date,
        history.*
    from pairs
    inner join history on pairs.from_snapshot_date = history.snapshot_date

),

later as (

    select
        pairs.from_snapshot_date,
        history.*
    from pairs
    inner join history on pairs.to_snapshot_date = history.snapshot_date

),

final as (

    select
        coalesce(earlier.snapshot_date, later.from_snapshot_date) as from_snapshot_date,
        coalesce(earlier.to_snapshot_date, later.snapshot_date) as to_snapshot_date,
        coalesce(earlier.customer_id, later.customer_id) as customer_id,
        case
            when earlier.customer_id is null then 'new'
            when later.customer_id is null then 'departed'
            when earlier.segment_id = later.segment_id then 'stayed'
            else 'moved'
        end as transition_type,
        earlier.model_version as from_model_version,
        later.model_version as to_model_version,
        earlier.segment_id as from_segment_id,
        earlier.segment_name as from_segment_name,
        later.segment_id as to_segment_id,
        later.segment_name as to_segment_name,
        earlier.clv as from_clv,
        later.clv as to_clv,
        coalesce(later.region_name, earlier.region_name) as region_name,
        coalesce(later.channel_name, earlier.channel_name) as channel_name
    from earlier
    full outer join later
        on earlier.to_snapshot_date = later.snapshot_date
        and earlier.customer_id = later.customer_id

)

select * from final
