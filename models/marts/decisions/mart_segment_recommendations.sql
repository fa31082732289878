{#-
    Which segments deserve more or less spend? One row per segmentation method and segment: its
    size, value and engagement tiers (int_segment_tiers; thresholds in the `recommendation_tiers`
    seed), the recommendation of the first matching rule of the `recommendation_rules` seed, and
    the rule's rationale filled in with the segment's numbers. A segment no rule matches gets a
    null recommendation, which the not_null test reports.
-#}
with segments as (

    select * from {{ ref('mart_segments') }}

),

rules as (

    select * from {{ ref('stg_recommendation_rules') }}

),

segment_tiers as (

    select * from {{ ref('int_segment_tiers') }}

),

tiered as (

    select
        segments.segmentation_method,
        segments.segment_id,
        segments.segment_name,
        segments.customers,
        segments.share_of_customers,
        segment_tiers.mean_clv,
        segment_tiers.mean_clv_ci_low,
        segment_tiers.mean_clv_ci_high,
        segment_tiers.overall_mean_clv,
        segment_tiers.median_minutes_watched,
        segment_tiers.median_minutes_watched_ci_low,
        segment_tiers.median_minutes_watched_ci_high,
        segment_tiers.overall_median_minutes_watched,
        segment_tiers.size_tier,
        segment_tiers.value_tier,
        segment_tiers.engagement_tier
    from segments
    inner join segment_tiers
        on segments.segmentation_method = segment_tiers.segmentation_method
        and segments.segment_id = segment_tiers.segment_id

),

rule_matches as (

    select
        tiered.segmentation_method,
        tiered.segment_id,
        rules.priority,
        rules.recommendation,
        rules.rationale,
        row_number() over (
            partition by tiered.segmentation_method, tiered.segment_id order by rules.priority
        ) as match_order
    from tiered
    inner join rules
        on {{ tier_condition('rules.size_tier', 'tiered.size_tier') }}
        and {{ tier_condition('rules.value_tier', 'tiered.value_tier') }}
        and {{ tier_condition('rules.engagement_tier', 'tiered.engagement_tier') }}

),

recommended as (

    select
        tiered.*,
        rule_matches.priority as rule_priority,
        rule_matches.recommendation,
        rule_matches.rationale as rationale_template
    from tiered
    left join rule_matches
        on tiered.segmentation_method = rule_matches.segmentation_method
        and tiered.segment_id = rule_matches.segment_id
        and rule_matches.match_order = 1

),

final as (

    {%- set placeholders = {
        'segment_name': 'segment_name',
        'customers': format_number('customers', 0),
        'share': format_number('100 * share_of_customers', 1) ~ " || ' %'",
        'size_tier': 'size_tier',
        'value_tier': 'value_tier',
        'engagement_tier': 'engagement_tier',
        'mean_clv': format_number('mean_clv', 2),
        'mean_clv_ci_low': format_number('mean_clv_ci_low', 2),
        'mean_clv_ci_high': format_number('mean_clv_ci_high', 2),
        'overall_mean_clv': format_number('overall_mean_clv', 2),
        'median_minutes': format_number('median_minutes_watched', 0),
        'median_minutes_ci_low': format_number('median_minutes_watched_ci_low', 0),
        'median_minutes_ci_high': format_number('median_minutes_watched_ci_high', 0),
        'overall_median_minutes': format_number('overall_median_minutes_watched', 0),
    } %}
    {%- set ns = namespace(rationale='rationale_template') %}
    {%- for name, expression in placeholders.items() %}
    {%- set ns.rationale = "replace(" ~ ns.rationale ~ ", '{" ~ name ~ "}', "
        ~ "coalesce(" ~ expression ~ ", ''))" %}
    {%- endfor %}

    select
        segmentation_method,
        segment_id,
        segment_name,
        customers,
        share_of_customers,
        size_tier,
        mean_clv,
        mean_clv_ci_low,
        mean_clv_ci_high,
        overall_mean_clv,
        value_tier,
        median_minutes_watched,
        median_minutes_watched_ci_low,
        median_minutes_watched_ci_high,
        overall_median_minutes_watched,
        engagement_tier,
        rule_priority,
        recommendation,
        {{ ns.rationale }} as rationale
    from recommended

)

select * from final
