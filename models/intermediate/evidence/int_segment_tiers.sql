{#-
    Each segment's size, value and engagement tier: the first tier (by priority) of each
    dimension of the `recommendation_tiers` seed whose range holds the segment's measure (its
    share of customers, its mean CLV and median minutes and their intervals relative to the
    whole population). mart_segment_recommendations picks the rule that matches the tiers.
-#}
with profiles as (

    select * from {{ ref('int_segment_profiles') }}

),

estimates as (

    select * from {{ ref('int_segment_value_estimates') }}

),

tiers as (

    select * from {{ ref('stg_recommendation_tiers') }}

),

segment_figures as (

    select
        profiles.segmentation_method,
        profiles.segment_id,
        profiles.share_of_customers,
        estimates.mean_clv,
        estimates.mean_clv_ci_low,
        estimates.mean_clv_ci_high,
        estimates.overall_mean_clv,
        estimates.median_minutes_watched,
        estimates.median_minutes_ci_low as median_minutes_watched_ci_low,
        estimates.median_minutes_ci_high as median_minutes_watched_ci_high,
        estimates.overall_median_minutes_watched
    from profiles
    inner join estimates
        on profiles.segmentation_method = estimates.segmentation_method
        and profiles.segment_id = estimates.segment_id

),

measures as (

    -- Every measure a tier can be defined on, one row per segment and measure.
    {%- set measures = {
        'share_of_customers': 'share_of_customers',
        'mean_clv_vs_overall': 'mean_clv / nullif(overall_mean_clv, 0)',
        'mean_clv_ci_low_vs_overall': 'mean_clv_ci_low / nullif(overall_mean_clv, 0)',
        'mean_clv_ci_high_vs_overall': 'mean_clv_ci_high / nullif(overall_mean_clv, 0)',
        'median_minutes_vs_overall':
            'median_minutes_watched / nullif(overall_median_minutes_watched, 0)',
        'median_minutes_ci_low_vs_overall':
            'median_minutes_watched_ci_low / nullif(overall_median_minutes_watched, 0)',
        'median_minutes_ci_high_vs_overall':
            'median_minutes_watched_ci_high / nullif(overall_median_minutes_watched, 0)',
    } %}
    {%- for name, expression in measures.items() %}
    select
        segmentation_method,
        segment_id,
        '{{ name }}' as measure,
        {{ expression }} as measure_value
    from segment_figures
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

tier_candidates as (

    select
        segment_figures.segmentation_method,
        segment_figures.segment_id,
        tiers.dimension,
        tiers.tier,
        row_number() over (
            partition by
                segment_figures.segmentation_method,
                segment_figures.segment_id,
                tiers.dimension
            order by tiers.priority
        ) as match_order
    from segment_figures
    cross join tiers
    left join measures
        on segment_figures.segmentation_method = measures.segmentation_method
        and segment_figures.segment_id = measures.segment_id
        and tiers.measure = measures.measure
    where
        tiers.measure is null
        or (
            measures.measure_value is not null
            and (tiers.min_value is null or measures.measure_value >= tiers.min_value)
            and (tiers.max_value is null or measures.measure_value < tiers.max_value)
        )

),

segment_tiers as (

    select
        segmentation_method,
        segment_id,
        max(case when dimension = 'size' then tier end) as size_tier,
        max(case when dimension = 'value' then tier end) as value_tier,
        max(case when dimension = 'engagement' then tier end) as engagement_tier
    from tier_candidates
    where match_order = 1
    group by segmentation_method, segment_id

),

final as (

    -- The figures the tiers were judged on travel with them, so the recommendation mart
    -- fills its rationale without joining the estimates a second time.
    select
        segment_figures.*,
        segment_tiers.size_tier,
        segment_tiers.value_tier,
        segment_tiers.engagement_tier
    from segment_figures
    left join segment_tiers
        on segment_figures.segmentation_method = segment_tiers.segmentation_method
        and segment_figures.segment_id = segment_tiers.segment_id

)

select * from final
