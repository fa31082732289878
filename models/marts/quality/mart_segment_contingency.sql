{#-
    k-means segment x Ward segment -> customers: every pair, zeros included, so a heatmap shows
    where the two methods agree (one large cell per row) and where they split a segment.
-#}
with cell_counts as (

    select * from {{ ref('int_segment_pair_counts') }}

),

int_segment_names as (

    select * from {{ ref('int_segment_names') }}

),

kmeans_segments as (

    select
        segment_id,
        segment_name
    from int_segment_names
    where segmentation_method = 'kmeans'

),

ward_segments as (

    select
        segment_id,
        segment_name
    from int_segment_names
    where segmentation_method = 'ward'

),

cells as (

    select
        kmeans_segments.segment_id as kmeans_segment_id,
        kmeans_segments.segment_name as kmeans_segment_name,
        ward_segments.segment_id as ward_segment_id,
        ward_segments.segment_name as ward_segment_name,
        coalesce(cell_counts.customers, 0) as customers
    from kmeans_segments
    cross join ward_segments
    left join cell_counts
        on kmeans_segments.segment_id = cell_counts.kmeans_segment_id
        and ward_segments.segment_id = cell_counts.ward_segment_id

),

final as (

    select
        kmeans_segment_id,
        kmeans_segment_name,
        ward_segment_id,
        ward_segment_name,
        customers,
        cast(customers as {{ type_double() }})
        / sum(customers) over (partition by kmeans_segment_id) as share_of_kmeans_segment,
        cast(customers as {{ type_double() }})
        / sum(customers) over (partition by ward_segment_id) as share_of_ward_segment,
        cast(customers as {{ type_double() }}) / sum(customers) over () as share_of_customers
    from cells

)

select * from final
