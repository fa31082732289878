{#-
    Every segment of mart_segments has exactly one row, with a recommendation, in the
    recommendations mart.
-#}
with segments as (

    select
        segmentation_method,
        segment_id
    from {{ ref('mart_segments') }}

),

recommendations as (

    select
        segmentation_method,
        segment_id,
        recommendation
    from {{ ref('mart_segment_recommendations') }}

)

select
    segments.segmentation_method,
    segments.segment_id,
    count(recommendations.recommendation) as recommendations
from segments
left join recommendations
    on segments.segmentation_method = recommendations.segmentation_method
    and segments.segment_id = recommendations.segment_id
group by segments.segmentation_method, segments.segment_id
having count(recommendations.recommendation) != 1
