{#-
    Segment size and value over time: per snapshot and k-means segment, the model version,
    customers, share of the snapshot's customers, total and mean CLV and mean watch time.
-#}
with history as (

    select * from {{ ref('mart_customer_segment_history') }}

),

totals as (

    select
        snapshot_date,
        count(*) as customers
    from history
    group by snapshot_date

),

per_segment as (

    select
        snapshot_date,
        segment_id,
        max(model_version) as model_version,
        max(segment_name) as segment_name,
        count(*) as customers,
        {{ exact_sum('clv') }} as total_clv,
        {{ exact_avg('clv') }} as mean_clv,
        {{ exact_avg('minutes_watched') }} as mean_minutes_watched
    from history
    group by snapshot_date, segment_id

),

final as (

    select
        per_segment.snapshot_date,
        per_segment.model_version,
        per_segment.segment_id,
        per_segment.segment_name,
        per_segment.customers,
        {{ ratio('per_segment.customers', 'totals.customers') }} as share_of_customers,
        per_segment.total_clv,
        per_segment.mean_clv,
        per_segment.mean_minutes_watched
    from per_segment
    inner join totals on per_segment.snapshot_date = totals.snapshot_date

)

select * from final
