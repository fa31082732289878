{#-
    The channel mix counts every segmented customer once per level: per region and channel it
    matches mart_region_channel_performance, and 'All regions' holds every customer.
-#}
with mix as (

    select * from {{ ref('mart_region_channel_mix') }}

),

performance as (

    select * from {{ ref('mart_region_channel_performance') }}

),

customers as (

    select count(*) as customers from {{ ref('mart_customer_segments') }}

),

region_mismatches as (

    select
        mix.region_name,
        mix.channel_name,
        mix.customers,
        performance.customers as expected
    from mix
    inner join performance
        on mix.region = performance.region and mix.channel = performance.channel
    where mix.channel_grouping = 'channel' and mix.customers != performance.customers

),

total_mismatches as (

    select
        'All regions' as region_name,
        mix.channel_grouping as channel_name,
        sum(mix.customers) as customers,
        max(customers.customers) as expected
    from mix
    cross join customers
    where mix.is_all_regions
    group by mix.channel_grouping
    having sum(mix.customers) != max(customers.customers)

)

select * from region_mismatches
union all
select * from total_mismatches
