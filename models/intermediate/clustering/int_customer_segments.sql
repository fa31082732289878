{#-
    Each segmented customer's k-means and Ward segment, side by side. k-means: the nearest
    centre of int_kmeans_fit (the stored version's in a scoring build). Ward: the cut of the Ward
    tree when this build fits; in a scoring build (no tree is built) the nearest Ward centre
    of the scored version (int_customer_scores), ward_leaf_id null.
-#}
with kmeans as (

    select * from {{ ref('int_kmeans_assignments') }}

),

int_ward_leaves as (

    select * from {{ ref('int_ward_leaves') }}

),

int_ward_leaf_segments as (

    select * from {{ ref('int_ward_leaf_segments') }}

),

scores as (

    select * from {{ ref('int_customer_scores') }}

),

ward as (

    select
        int_ward_leaves.customer_id,
        int_ward_leaf_segments.ward_segment_id,
        int_ward_leaves.ward_leaf_id
    from int_ward_leaves
    inner join int_ward_leaf_segments
        on int_ward_leaves.ward_leaf_id = int_ward_leaf_segments.ward_leaf_id
    union all
    select
        customer_id,
        ward_segment_id,
        cast(null as bigint) as ward_leaf_id
    from scores
    where ward_segment_id is not null

),

final as (

    select
        kmeans.customer_id,
        kmeans.kmeans_segment_id,
        kmeans.distance_to_center as kmeans_distance_to_center,
        ward.ward_segment_id,
        ward.ward_leaf_id
    from kmeans
    inner join ward on kmeans.customer_id = ward.customer_id

)

select * from final
