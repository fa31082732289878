{#- One row per segmentation method and segment: size, value, engagement, mix and name. -#}
with profiles as (

    select * from {{ ref('int_segment_profiles') }}

),

int_segment_names as (

    select * from {{ ref('int_segment_names') }}

),

final as (

    select
        profiles.segmentation_method,
        profiles.segment_id,
        int_segment_names.segment_name,
        int_segment_names.segment_profile,
        int_segment_names.naming_rule,
        profiles.customers,
        profiles.share_of_customers,
        profiles.mean_minutes_watched,
        profiles.median_minutes_watched,
        profiles.mean_clv,
        profiles.median_clv,
        profiles.total_clv,
        profiles.dominant_channel_code,
        profiles.dominant_channel_name,
        profiles.dominant_channel_share,
        profiles.dominant_region_code,
        profiles.dominant_region_name,
        profiles.dominant_region_share
    from profiles
    inner join int_segment_names
        on profiles.segmentation_method = int_segment_names.segmentation_method
        and profiles.segment_id = int_segment_names.segment_id

)

select * from final
