{#-
    The k-means x Ward contingency table's non-empty cells: customers per pair of segments.
    int_method_agreement scores the two partitions from it, mart_segment_contingency adds the
    empty pairs and the names.
-#}
with segments as (

    select * from {{ ref('int_customer_segments') }}

),

final as (

    select
        kmeans_segment_id,
        ward_segment_id,
        count(*) as customers
    from segments
    group by kmeans_segment_id, ward_segment_id

)

select * from final
