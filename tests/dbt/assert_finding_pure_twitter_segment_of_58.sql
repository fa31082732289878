{#-
    The seed's finding: a segment of exactly the 58 Twitter customers (all of them, nothing
    else), by both methods. Returns each method that lacks it.
    Runs only on the embedded data segmented the classic way (see macros/seed_findings.sql).
-#}
{{ config(enabled=seed_findings_apply()) }}

with segments as (

    select * from {{ ref('mart_segments') }}

),

methods as (

    select distinct segmentation_method from segments

),

pure_twitter as (

    select segmentation_method
    from segments
    where
        dominant_channel_name = 'Twitter'
        and dominant_channel_share = 1
        and customers = 58

)

select methods.segmentation_method
from methods
left join pure_twitter on methods.segmentation_method = pure_twitter.segmentation_method
where pure_twitter.segmentation_method is null
