{{ config(enabled=seed_findings_apply()) }}
{#-
    Classic conclusion 2 on the embedded data: the segment with the highest mean CLV is the
    Western Europe one and gets "grow spend", by both methods.
    Runs only on the embedded data segmented the classic way (see macros/seed_findings.sql).
-#}
with recommendations as (

    select * from {{ ref('mart_segment_recommendations') }}

),

segments as (

    select * from {{ ref('mart_segments') }}

),

ranked as (

    select
        recommendations.segmentation_method,
        recommendations.segment_name,
        recommendations.recommendation,
        segments.dominant_region_name,
        row_number() over (
            partition by recommendations.segmentation_method
            order by recommendations.mean_clv desc
        ) as clv_rank
    from recommendations
    inner join segments
        on recommendations.segmentation_method = segments.segmentation_method
        and recommendations.segment_id = segments.segment_id

)

select
    segmentation_method,
    segment_name,
    dominant_region_name,
    recommendation
from ranked
where
    clv_rank = 1
    and (recommendation != 'grow spend' or dominant_region_name != 'Western Europe')
union all
select
    methods.segmentation_method,
    'missing' as segment_name,
    null as dominant_region_name,
    null as recommendation
from (values ('kmeans'), ('ward')) as methods (segmentation_method)
where methods.segmentation_method not in (select ranked.segmentation_method from ranked)
