{#-
    The seed's finding: by both methods, the segment with the highest mean CLV is the Western
    Europe one (at least 90 % of its customers from Western Europe). Returns each method where
    it is lost.
    Runs only on the embedded data segmented the classic way (see macros/seed_findings.sql).
-#}
{{ config(enabled=seed_findings_apply()) }}

with segments as (

    select * from {{ ref('mart_segments') }}

),

most_valuable as (

    select
        segmentation_method,
        dominant_region_name,
        dominant_region_share,
        row_number() over (partition by segmentation_method order by mean_clv desc) as clv_rank
    from segments

)

select
    segmentation_method,
    dominant_region_name,
    dominant_region_share
from most_valuable
where
    clv_rank = 1
    and not (dominant_region_name = 'Western Europe' and dominant_region_share >= 0.9)
