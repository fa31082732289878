{#-
    From-segment -> to-segment between consecutive snapshots of customer_segment_history:
    customers and CLV per pair, with customers new at the later snapshot (from_segment_id
    null) and customers gone from it (to_segment_id null) as their own rows. Segment ids are
    stable across model versions (a refit keeps the ids of the segments it continues), so a
    pair compares like with like. Rebuilt from the history on every build.
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

pairs as (

    select
        from_snapshot_date,
        to_snapshot_date
    from ordered
    where from_snapshot_date is not null

),

earlier as (

    select
        pairs.from_snapshot_date,
        pairs.to_snapshot_date,
        history.customer_id,
        history.model_version,
        history.segment_id,
        history.segment_name,
        history.clv
    from pairs
    inner join history on pairs.from_snapshot_date = history.snapshot_date

),

later as (

    select
        pairs.from_snapshot_date,
        pairs.to_snapshot_date,
        history.customer_id,
        history.model_version,
        history.segment_id,
        history.segment_name,
        history.clv
    from pairs
    inner join history on pairs.to_snapshot_date = history.snapshot_date

),

joined as (

    select
        coalesce(earlier.from_snapshot_date, later.from_snapshot_date) as from_snapshot_date,
        coalesce(earlier.to_snapshot_date, later.to_snapshot_date) as to_snapshot_date,
        earlier.model_version as from_model_version,
        later.model_version as to_model_version,
        earlier.segment_id as from_segment_id,
        earlier.segment_name as from_segment_name,
        later.segment_id as to_segment_id,
        later.segment_name as to_segment_name,
        earlier.clv as from_clv,
        later.clv as to_clv,
        case
            when earlier.customer_id is null then 'new'
            when later.customer_id is null then 'departed'
            when earlier.segment_id = later.segment_id then 'stayed'
            else 'moved'
        end as transition_type
    from earlier
    full outer join later
        on
        earlier.to_snapshot_date = later.to_snapshot_date
        and earlier.customer_id = later.customer_id

),

final as (

    select
        from_snapshot_date,
        to_snapshot_date,
        max(from_model_version) as from_model_version,
        max(to_model_version) as to_model_version,
        transition_type,
        from_segment_id,
        coalesce(from_segment_name, '(new customers)') as from_segment_name,
        to_segment_id,
        coalesce(to_segment_name, '(departed customers)') as to_segment_name,
        count(*) as customers,
        {{ exact_sum('coalesce(to_clv, from_clv)') }} as clv,
        {{ exact_sum('from_clv') }} as from_clv,
        {{ exact_sum('to_clv') }} as to_clv
    from joined
    group by
        from_snapshot_date,
        to_snapshot_date,
        transition_type,
        from_segment_id,
        from_segment_name,
        to_segment_id,
        to_segment_name

)

select * from final
