{{ config(enabled=seed_findings_apply()) }}
{#-
    Classic conclusion 1 on the embedded data: the small segment of Twitter arrivals is a
    "reduce spend" segment, by both methods. The segment is found by its profile (Twitter holds
    at least 90 % of it), not by its name.
    Runs only on the embedded data segmented the classic way (see macros/seed_findings.sql).
-#}
with segments as (

    select * from {{ ref('mart_segments') }}

),

recommendations as (

    select * from {{ ref('mart_segment_recommendations') }}

),

twitter_segments as (

    select
        segmentation_method,
        segment_id
    from segments
    where dominant_channel_name = 'Twitter' and dominant_channel_share >= 0.9

),

expected as (

    select methods.segmentation_method
    from (values ('kmeans'), ('ward')) as methods (segmentation_method)

)

select
    expected.segmentation_method,
    recommendations.segment_name,
    recommendations.size_tier,
    recommendations.recommendation
from expected
left join twitter_segments
    on expected.segmentation_method = twitter_segments.segmentation_method
left join recommendations
    on twitter_segments.segmentation_method = recommendations.segmentation_method
    and twitter_segments.segment_id = recommendations.segment_id
where
    recommendations.recommendation is null
    or recommendations.recommendation != 'reduce spend'
    or recommendations.size_tier != 'small'
