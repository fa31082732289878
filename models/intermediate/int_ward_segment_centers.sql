{#-
    The centre of every Ward segment: each selected feature's mean (standardised units) over
    the segment's customers, averaged order-independently (exact_avg) so every build gives the
    same doubles. One place for it: mart_segment_centroids publishes these centres and
    mart_segmentation_quality measures Ward's inertia around them.
-#}
with customer_segments as (

    select * from {{ ref('int_customer_segments') }}

),

features as (

    select * from {{ ref('int_customer_features_scaled') }}

),

final as (

    select
        customer_segments.ward_segment_id,
        {%- for feature in segmentation_features() %}
        {{ exact_avg('features.' ~ feature, scale=24) }} as {{ feature }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from customer_segments
    inner join features on customer_segments.customer_id = features.customer_id
    group by customer_segments.ward_segment_id

)

select * from final
