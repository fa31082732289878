{#-
    Per segmentation method and segment: size, watch time and CLV, and the dominant channel and
    region. The input to segment naming and to mart_segments.
-#}
with customer_segments as (

    select * from {{ ref('int_customer_segments_long') }}

),

mix as (

    select * from {{ ref('int_segment_mix') }}

),

channels as (

    select * from {{ ref('stg_channels') }}

),

per_segment as (

    select
        segmentation_method,
        segment_id,
        {{ customer_value_measures() }},
        {{ median('clv') }} as median_clv
    from customer_segments
    group by segmentation_method, segment_id

),

dominant as (

    select
        segmentation_method,
        segment_id,
        max(case when mix_dimension = 'channel' then code end) as dominant_channel_code,
        max(case when mix_dimension = 'channel' then code_name end) as dominant_channel_name,
        max(
            case when mix_dimension = 'channel' then share_of_segment end
        ) as dominant_channel_share,
        max(case when mix_dimension = 'region' then code end) as dominant_region_code,
        max(case when mix_dimension = 'region' then code_name end) as dominant_region_name,
        max(
            case when mix_dimension = 'region' then share_of_segment end
        ) as dominant_region_share
    from mix
    where mix_rank = 1
    group by segmentation_method, segment_id

),

final as (

    select
        per_segment.segmentation_method,
        per_segment.segment_id,
        per_segment.customers,
        {{ ratio('per_segment.customers',
            'sum(per_segment.customers) over (partition by per_segment.segmentation_method)') }}
            as share_of_customers,
        per_segment.mean_minutes_watched,
        per_segment.median_minutes_watched,
        per_segment.mean_clv,
        per_segment.median_clv,
        per_segment.total_clv,
        dominant.dominant_channel_code,
        dominant.dominant_channel_name,
        channels.channel_persona as dominant_channel_persona,
        dominant.dominant_channel_share,
        dominant.dominant_region_code,
        dominant.dominant_region_name,
        dominant.dominant_region_share
    from per_segment
    inner join dominant
        on per_segment.segmentation_method = dominant.segmentation_method
        and per_segment.segment_id = dominant.segment_id
    inner join channels on dominant.dominant_channel_code = channels.channel_code

)

select * from final
