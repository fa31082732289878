{#-
    The seed's finding: k-means has a Facebook segment (at least 90 % Facebook customers) of
    about 8 % of the customers (7-9 %) with the highest mean watch time of all segments, over
    2,700 minutes. Returns a row when it is lost. (Ward's Facebook segment mixes the heavy and
    the light watchers, so the finding is k-means'.)
    Runs only on the embedded data segmented the classic way (see macros/seed_findings.sql).
-#}
{{ config(enabled=seed_findings_apply()) }}

with segments as (

    select * from {{ ref('mart_segments') }}
    where segmentation_method = 'kmeans'

),

top_watchers as (

    select *
    from segments
    where segments.mean_minutes_watched = (
        select max(all_segments.mean_minutes_watched) as max_mean_minutes_watched
        from segments as all_segments
    )

),

finding as (

    select count(*) as matches
    from top_watchers
    where
        dominant_channel_name = 'Facebook'
        and dominant_channel_share >= 0.9
        and share_of_customers between 0.07 and 0.09
        and mean_minutes_watched > 2700

)

select matches
from finding
where matches != 1
