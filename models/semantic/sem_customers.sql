{#-
    The customer fact as the semantic layer reads it: mart_customer_segments plus the columns
    MetricFlow needs and the mart does not carry. `snapshot_date` is the day the data describes
    (the `snapshot_date` var, default the build day): MetricFlow aggregates every measure over
    a time dimension and the input has no dates. `customer_weight` is each customer's share of
    all segmented customers, so summing it gives any group's share of customers.
-#}
with customers as (

    select * from {{ ref('mart_customer_segments') }}

),

customer_count as (

    select count(*) as customers from customers

),

final as (

    select
        customers.customer_id,
        cast('{{ snapshot_date() }}' as date) as snapshot_date,
        customers.region,
        customers.region_name,
        customers.channel,
        customers.channel_name,
        customers.kmeans_segment_id,
        customers.kmeans_segment_name,
        customers.ward_segment_id,
        customers.ward_segment_name,
        customers.minutes_watched,
        customers.minutes_watched / 60.0 as hours_watched,
        customers.clv,
        {{ ratio('1', 'customer_count.customers') }} as customer_weight
    from customers
    -- One scalar count joined on, not count(*) over (): a window over every row makes the
    -- database hold the whole table at once (slow and memory-hungry at millions of rows).
    cross join customer_count

)

select * from final
