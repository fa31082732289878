{#-
    Where do customers discover the platform through social media? Each region's channel mix
    (and 'All regions'), at two levels that each add up to 1 per region:
      - channel_grouping 'channel': every channel apart (0 customers where none), ranked by customers,
        social media channels also ranked among themselves;
      - channel_grouping 'social_media': the social media channels grouped against the rest.
    With the region's share of all customers, to weigh a region's mix by how much it matters.
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

scopes as (

    select
        region_code,
        region_name,
        false as is_all_regions
    from regions
    union all
    select
        cast(null as integer) as region_code,
        'All regions' as region_name,
        true as is_all_regions

),

counts as (

    select
        region_code,
        channel_code,
        count(*) as customers
    from customers
    group by region_code, channel_code

),

grid as (

    -- Every scope x channel, 0 where no customer arrived that way.
    select
        scopes.region_code,
        scopes.region_name,
        scopes.is_all_regions,
        channels.channel_code,
        channels.channel_name,
        channels.is_social_media,
        coalesce(sum(counts.customers), 0) as customers
    from scopes
    cross join channels
    left join counts
        on channels.channel_code = counts.channel_code
        and (scopes.is_all_regions or scopes.region_code = counts.region_code)
    group by
        scopes.region_code, scopes.region_name, scopes.is_all_regions,
        channels.channel_code, channels.channel_name, channels.is_social_media

),

by_channel as (

    select
        region_code,
        region_name,
        is_all_regions,
        'channel' as channel_grouping,
        channel_code,
        channel_name,
        is_social_media,
        customers
    from grid

),

by_social_media as (

    select
        region_code,
        region_name,
        is_all_regions,
        'social_media' as channel_grouping,
        cast(null as integer) as channel_code,
        case when is_social_media then 'Social media' else 'Other channels' end as channel_name,
        is_social_media,
        sum(customers) as customers
    from grid
    group by region_code, region_name, is_all_regions, is_social_media

),

unioned as (

    select * from by_channel
    union all
    select * from by_social_media

),

final as (

    select
        region_code as region,
        region_name,
        is_all_regions,
        cast(
            sum(case when channel_grouping = 'channel' then customers else 0 end)
                over (partition by region_name)
            as {{ type_double() }}
        )
        / nullif(
            sum(case when is_all_regions and channel_grouping = 'channel' then customers else 0 end)
                over (),
            0
        ) as region_share_of_customers,
        channel_grouping,
        channel_code as channel,
        channel_name,
        is_social_media,
        cast(customers as bigint) as customers,
        cast(customers as {{ type_double() }})
        / nullif(sum(customers) over (partition by region_name, channel_grouping), 0)
            as share_of_region,
        case
            when is_social_media and channel_grouping = 'channel'
                then cast(customers as {{ type_double() }}) / nullif(
                    sum(case when is_social_media then customers else 0 end)
                        over (partition by region_name, channel_grouping), 0
                )
        end as share_of_social_media,
        -- rank() is a bigint on DuckDB but an int on Spark: cast for the contract.
        cast(
            rank() over (partition by region_name, channel_grouping order by customers desc)
            as bigint
        ) as rank_in_region,
        case
            when is_social_media and channel_grouping = 'channel'
                then cast(rank() over (
                    partition by region_name, channel_grouping, is_social_media
                    order by customers desc
                ) as bigint)
        end as social_media_rank_in_region
    from unioned

)

select * from final
