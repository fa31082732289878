{#-
    The recommendations as the semantic layer reads them: mart_segment_recommendations, one
    row per segmentation method and segment, plus what MetricFlow needs and the mart does not
    carry: a one-column key (`segment_key`), the `snapshot_date` every measure is aggregated
    at, and each segment's total CLV (customers x mean CLV) so a mean CLV over several
    segments is weighted by their customers.
-#}
with recommendations as (

    select * from {{ ref('mart_segment_recommendations') }}

),

final as (

    select
        segmentation_method || ':' || cast(segment_id as {{ dbt.type_string() }}) as segment_key,
        cast('{{ snapshot_date() }}' as date) as snapshot_date,
        segmentation_method,
        segment_id,
        segment_name,
        size_tier,
        value_tier,
        engagement_tier,
        recommendation,
        customers,
        share_of_customers,
        mean_clv * customers as total_clv
    from recommendations

)

select * from final
