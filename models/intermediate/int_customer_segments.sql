{#- Each segmented customer's k-means and Ward segment, side by side. -#}
with kmeans as (

    select * from {{ ref('kmeans_assignments') }}

),

ward_leaves as (

    select * from {{ ref('ward_leaves') }}

),

ward_leaf_segments as (

    select * from {{ ref('ward_leaf_segments') }}

),

final as (

    select
        kmeans.customer_id,
        kmeans.kmeans_segment_id,
        kmeans.distance_to_center as kmeans_distance_to_center,
        ward_leaf_segments.ward_segment_id,
        ward_leaves.ward_leaf_id
    from kmeans
    inner join ward_leaves on kmeans.customer_id = ward_leaves.customer_id
    inner join ward_leaf_segments on ward_leaves.ward_leaf_id = ward_leaf_segments.ward_leaf_id

)

select * from final
