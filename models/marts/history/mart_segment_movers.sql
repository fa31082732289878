{#-
    The customers whose segment changed between consecutive snapshots, one row per customer
    and pair: moved (both snapshots, another segment), new (only the later one) and departed
    (only the earlier one), with both segments, CLVs and the customer's region and channel.
-#}
with history as (

    select * from {{ ref('customer_segment_history') }}

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

earlier as (

    select
        ordered.from_snapshot_date,
        ordered.to_snapshot_date,
        history.*
    from ordered
    inner join history on ordered.from_snapshot_date = history.snapshot_date

),

later as (

    select
        ordered.from_snapshot_date,
        ordered.to_snapshot_date,
        history.*
    from ordered
    inner join history on ordered.to_snapshot_date = history.snapshot_date
    where ordered.from_snapshot_date is not null

),

final as (

    select
        coalesce(earlier.from_snapshot_date, later.from_snapshot_date) as from_snapshot_date,
        coalesce(earlier.to_snapshot_date, later.to_snapshot_date) as to_snapshot_date,
        coalesce(earlier.customer_id, later.customer_id) as customer_id,
        case
            when earlier.customer_id is null then 'new'
            when later.customer_id is null then 'departed'
            else 'moved'
        end as transition_type,
        earlier.segment_id as from_segment_id,
        earlier.segment_name as from_segment_name,
        later.segment_id as to_segment_id,
        later.segment_name as to_segment_name,
        earlier.model_version as from_model_version,
        later.model_version as to_model_version,
        earlier.clv as from_clv,
        later.clv as to_clv,
        coalesce(later.region_name, earlier.region_name) as region_name,
        coalesce(later.channel_name, earlier.channel_name) as channel_name
    from earlier
    full outer join later
        on
        earlier.to_snapshot_date = later.to_snapshot_date
        and earlier.customer_id = later.customer_id
    where
        earlier.customer_id is null
        or later.customer_id is null
        or earlier.segment_id != later.segment_id

)

select * from final
