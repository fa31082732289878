{#-
    Region x acquisition channel, every combination (0 customers where none): how many customers
    each channel brings in each region, its share of the region, and their value and watch time.
    Answers "where do customers discover us, and through which social media?".
-#}
with customers as (

    select * from {{ ref('int_customers_cleaned') }}

),

regions as (

    select * from {{ ref('stg_regions') }}

),

channels as (

    select * from {{ ref('stg_channels') }}

),

per_cell as (

    select
        region_code,
        channel_code,
        count(*) as customers,
        {{ exact_sum('clv') }} as total_clv,
        {{ exact_avg('clv') }} as mean_clv,
        {{ exact_avg('minutes_watched') }} as mean_minutes_watched,
        {{ median('minutes_watched') }} as median_minutes_watched
    from customers
    group by region_code, channel_code

),

grid as (

    select
        regions.region_code,
        regions.region_name,
        channels.channel_code,
        channels.channel_name,
        channels.is_social_media,
        coalesce(per_cell.customers, 0) as customers,
        coalesce(per_cell.total_clv, 0) as total_clv,
        per_cell.mean_clv,
        per_cell.mean_minutes_watched,
        per_cell.median_minutes_watched
    from regions
    cross join channels
    left join per_cell
        on regions.region_code = per_cell.region_code
        and channels.channel_code = per_cell.channel_code

),

final as (

    select
        region_code as region,
        region_name,
        channel_code as channel,
        channel_name,
        is_social_media,
        customers,
        customers * 1.0 / nullif(sum(customers) over (partition by region_code), 0)
            as share_of_region,
        customers * 1.0 / nullif(sum(customers) over (), 0) as share_of_customers,
        total_clv,
        mean_clv,
        mean_minutes_watched,
        median_minutes_watched,
        rank() over (partition by region_code order by customers desc) as rank_in_region,
        rank() over (partition by region_code order by mean_clv desc nulls last)
            as clv_rank_in_region,
        rank() over (partition by region_code order by mean_minutes_watched desc nulls last)
            as minutes_rank_in_region
    from grid

)

select * from final
