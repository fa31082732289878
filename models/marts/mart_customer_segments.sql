{#-
    One row per segmented customer with both segmentations and readable names, and the declared
    attributes (var customer_attributes) as one JSON object, e.g. {"plan": "pro"}:
    `customer_attributes ->> 'plan'` in DuckDB.
-#}
with customers as (

    select * from {{ ref('int_customers_cleaned') }}

),

segments as (

    select * from {{ ref('int_customer_segments') }}

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

final as (

    select
        customers.customer_id,
        customers.region_code as region,
        regions.region_name,
        customers.channel_code as channel,
        channels.channel_name,
        customers.minutes_watched,
        customers.minutes_watched_was_blank,
        customers.clv,
        segments.kmeans_segment_id,
        kmeans_names.segment_name as kmeans_segment_name,
        segments.ward_segment_id,
        ward_names.segment_name as ward_segment_name,
        segments.kmeans_distance_to_center,
        {%- set pairs = [] %}
        {%- for attribute in customer_attributes() %}
        {%- do pairs.append([attribute.name, 'customers.' ~ attribute.name]) %}
        {%- endfor %}
        {{ json_object_text(pairs) }} as customer_attributes
    from customers
    inner join segments on customers.customer_id = segments.customer_id
    inner join regions on customers.region_code = regions.region_code
    inner join channels on customers.channel_code = channels.channel_code
    inner join int_segment_names as kmeans_names
        on kmeans_names.segmentation_method = 'kmeans'
        and segments.kmeans_segment_id = kmeans_names.segment_id
    inner join int_segment_names as ward_names
        on ward_names.segmentation_method = 'ward'
        and segments.ward_segment_id = ward_names.segment_id

)

select * from final
