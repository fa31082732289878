{#-
    Method x segment x region x channel: where each segment's customers come from, and their value.
-#}
with customer_segments as (

    select * from {{ ref('int_customer_segments_long') }}

),

int_segment_names as (

    select * from {{ ref('int_segment_names') }}

),

regions as (

    select * from {{ ref('stg_regions') }}

),

channels as (

    select * from {{ ref('stg_channels') }}

),

per_cell as (

    select
        segmentation_method,
        segment_id,
        region_code,
        channel_code,
        {{ customer_value_measures() }}
    from customer_segments
    group by segmentation_method, segment_id, region_code, channel_code

),

final as (

    select
        per_cell.segmentation_method,
        per_cell.segment_id,
        int_segment_names.segment_name,
        per_cell.region_code as region,
        regions.region_name,
        per_cell.channel_code as channel,
        channels.channel_name,
        per_cell.customers,
        {{ ratio('per_cell.customers',
            'sum(per_cell.customers) over (partition by per_cell.segmentation_method)') }}
            as share_of_customers,
        {{ ratio('per_cell.customers', 'sum(per_cell.customers) over (
                partition by per_cell.segmentation_method, per_cell.segment_id
            )') }} as share_of_segment,
        per_cell.total_clv,
        per_cell.mean_clv,
        per_cell.mean_minutes_watched,
        per_cell.median_minutes_watched
    from per_cell
    inner join int_segment_names
        on per_cell.segmentation_method = int_segment_names.segmentation_method
        and per_cell.segment_id = int_segment_names.segment_id
    inner join regions on per_cell.region_code = regions.region_code
    inner join channels on per_cell.channel_code = channels.channel_code

)

select * from final
