{{ config(enabled=seed_findings_apply()) }}
{#-
    Classic conclusion 3 on the embedded data: the k-means segment with the highest mean watch
    time is the Facebook one, its CLV is in the lower half of the segments, and it gets
    "investigate engagement"; the Facebook segment of Ward gets the same recommendation.
    Segments are found by their profile, not their name.
    Runs only on the embedded data segmented the classic way (see macros/seed_findings.sql).
-#}
with segments as (

    select * from {{ ref('mart_segments') }}

),

recommendations as (

    select * from {{ ref('mart_segment_recommendations') }}

),

profiled as (

    select
        segments.segmentation_method,
        segments.segment_id,
        segments.segment_name,
        segments.dominant_channel_name,
        segments.dominant_channel_share,
        recommendations.recommendation,
        row_number() over (
            partition by segments.segmentation_method order by segments.mean_minutes_watched desc
        ) as minutes_rank,
        percent_rank() over (
            partition by segments.segmentation_method order by segments.mean_clv
        ) as clv_percent_rank
    from segments
    inner join recommendations
        on segments.segmentation_method = recommendations.segmentation_method
        and segments.segment_id = recommendations.segment_id

),

kmeans_top_watchers as (

    -- Must be the Facebook segment, with CLV in the lower half, told to investigate engagement.
    select
        segmentation_method,
        segment_name,
        recommendation
    from profiled
    where
        segmentation_method = 'kmeans'
        and minutes_rank = 1
        and not (
            dominant_channel_name = 'Facebook'
            and dominant_channel_share >= 0.9
            and clv_percent_rank < 0.5
            and recommendation = 'investigate engagement'
        )

),

facebook_segments as (

    select
        segmentation_method,
        segment_name,
        recommendation
    from profiled
    where dominant_channel_name = 'Facebook' and dominant_channel_share >= 0.9

),

facebook_failures as (

    select
        segmentation_method,
        segment_name,
        recommendation
    from facebook_segments
    where recommendation != 'investigate engagement'
    union all
    select
        methods.segmentation_method,
        'no Facebook segment' as segment_name,
        null as recommendation
    from (values ('kmeans'), ('ward')) as methods (segmentation_method)
    where methods.segmentation_method not in (
        select facebook_segments.segmentation_method from facebook_segments
    )

)

select * from kmeans_top_watchers
union all
select * from facebook_failures
