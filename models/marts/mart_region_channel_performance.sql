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
        {{ customer_value_measures() }}
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
        {{ ratio('customers', 'nullif(sum(customers) over (partition by region_code), 0)') }}
            as share_of_region,
        {{ ratio('customers', 'nullif(sum(customers) over (), 0)') }} as share_of_customers,
        total_clv,
        mean_clv,
        mean_minutes_watched,
        median_minutes_watched,
        -- rank() is a bigint on DuckDB but an int on Spark: cast for the contract.
        cast(rank() over (partition by region_code order by customers desc) as bigint)
            as rank_in_region,
        cast(rank() over (partition by region_code order by mean_clv desc nulls last) as bigint)
            as clv_rank_in_region,
        cast(rank() over (
            partition by region_code order by mean_minutes_watched desc nulls last
        ) as bigint) as minutes_rank_in_region
    from grid

)

select * from final
