{#-
    Each segment's mix of channels and of regions: customers per code and their share of the
    segment, ranked (rank 1 = the dominant channel or region).
-#}
with customer_segments as (

    select * from {{ ref('int_customer_segments_long') }}

),

regions as (

    select * from {{ ref('stg_regions') }}

),

channels as (

    select * from {{ ref('stg_channels') }}

),

counted as (

    select
        segmentation_method,
        segment_id,
        'channel' as mix_dimension,
        channel_code as code,
        count(*) as customers
    from customer_segments
    group by segmentation_method, segment_id, channel_code
    union all
    select
        segmentation_method,
        segment_id,
        'region' as mix_dimension,
        region_code as code,
        count(*) as customers
    from customer_segments
    group by segmentation_method, segment_id, region_code

),

shared as (

    select
        *,
        {{ ratio('customers',
            'sum(customers) over (partition by segmentation_method, segment_id, mix_dimension)') }}
            as share_of_segment,
        row_number() over (
            partition by segmentation_method, segment_id, mix_dimension
            order by customers desc, code asc
        ) as mix_rank
    from counted

),

final as (

    select
        shared.segmentation_method,
        shared.segment_id,
        shared.mix_dimension,
        shared.code,
        coalesce(channels.channel_name, regions.region_name) as code_name,
        shared.customers,
        shared.share_of_segment,
        shared.mix_rank
    from shared
    left join channels
        on shared.mix_dimension = 'channel' and shared.code = channels.channel_code
    left join regions
        on shared.mix_dimension = 'region' and shared.code = regions.region_code

)

select * from final
