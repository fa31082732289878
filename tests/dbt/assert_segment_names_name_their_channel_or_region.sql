{#-
    Segment names are unique within a method and name what defines the segment: a channel
    segment names its channel, a region segment its region, a channel-and-region segment
    both, a behaviour segment (no channel or region defines it) its watch time and CLV, a
    mixed segment its leading channel. Returns every offending segment.
-#}
with segments as (

    select * from {{ ref('mart_segments') }}

),

checked as (

    select
        segmentation_method,
        segment_id,
        segment_name,
        naming_rule,
        count(*) over (partition by segmentation_method, segment_name) as name_uses,
        position(lower(dominant_channel_name) in lower(segment_name)) > 0 as names_channel,
        position(lower(dominant_region_name) in lower(segment_name)) > 0 as names_region,
        position('watchers, ' in lower(segment_name)) > 0
        and position(' clv' in lower(segment_name)) > 0 as names_behaviour
    from segments

)

select *
from checked
where
    name_uses > 1
    or naming_rule not in ('channel', 'region', 'channel_and_region', 'behaviour', 'mixed')
    or (naming_rule = 'behaviour' and not names_behaviour)
    or (naming_rule in ('channel', 'mixed') and not names_channel)
    or (naming_rule = 'region' and not names_region)
    or (naming_rule = 'channel_and_region' and not (names_channel and names_region))
