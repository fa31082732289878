{#-
    One row per customer and segmentation method ('kmeans', 'ward'), with the customer's
    attributes: the shape every per-segment aggregate starts from.
-#}
with segments as (

    select * from {{ ref('int_customer_segments') }}

),

customers as (

    select * from {{ ref('int_customers_cleaned') }}

),

by_method as (

    select
        customer_id,
        'kmeans' as segmentation_method,
        kmeans_segment_id as segment_id
    from segments
    union all
    select
        customer_id,
        'ward' as segmentation_method,
        ward_segment_id as segment_id
    from segments

),

final as (

    select
        by_method.segmentation_method,
        by_method.segment_id,
        by_method.customer_id,
        customers.customer_order,
        customers.region_code,
        customers.channel_code,
        customers.minutes_watched,
        {%- for attribute in customer_attributes() %}
        customers.{{ attribute.name }},
        {%- endfor %}
        customers.clv
    from by_method
    inner join customers on by_method.customer_id = customers.customer_id

)

select * from final
