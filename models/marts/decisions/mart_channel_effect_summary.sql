{#-
    Does the channel matter, region by region? One row per region (and 'All regions') and metric
    (minutes watched, CLV): the Kruskal-Wallis test across channels with epsilon-squared (its
    verdict from int_channel_effect_verdicts), which channels are meaningfully above or below
    the region (see mart_channel_effects), and one sentence that says which differences are
    meaningful and which are noise.
    Minutes are judged on the median (robust to the heavy tail), CLV on the mean.
-#}
with verdicts as (

    select * from {{ ref('int_channel_effect_verdicts') }}

),

effects as (

    select * from {{ ref('mart_channel_effects') }}

),

channel_gaps as (

    -- The figure each metric is judged on, one row per region, channel and metric.
    select
        region,
        region_name,
        'minutes_watched' as metric,
        channel_name,
        customers,
        is_too_few_customers,
        median_minutes_watched as channel_value,
        median_minutes_watched_difference as difference,
        median_minutes_watched_differs as differs
    from effects
    union all
    select
        region,
        region_name,
        'clv' as metric,
        channel_name,
        customers,
        is_too_few_customers,
        mean_clv as channel_value,
        mean_clv_difference as difference,
        mean_clv_differs as differs
    from effects

),

described_gaps as (

    select
        *,
        channel_name || ' (' || case when difference >= 0 then '+' else '' end
        || {{ format_number('difference', 0) }} || ')' as channel_label
    from channel_gaps

),

channel_lists as (

    select
        region,
        metric,
        count(*) as channels_compared,
        sum(case when differs then 1 else 0 end) as channels_differing,
        {{ ordered_list(
            "case when differs and difference > 0 then channel_label end",
            "difference",
            descending=true
        ) }} as channels_above,
        {{ ordered_list(
            "case when differs and difference < 0 then channel_label end",
            "difference"
        ) }} as channels_below,
        {{ ordered_list(
            "case when is_too_few_customers then channel_name || ' (' || customers || ')' end",
            "customers"
        ) }} as channels_too_few
    from described_gaps
    group by region, metric

),

joined as (

    select
        verdicts.region,
        verdicts.region_name,
        verdicts.is_all_regions,
        verdicts.metric,
        verdicts.judged_on,
        verdicts.customers,
        verdicts.channels_with_customers,
        verdicts.h_statistic,
        verdicts.degrees_of_freedom,
        verdicts.p_value,
        verdicts.p_value_adjusted,
        verdicts.epsilon_squared,
        verdicts.effect_size,
        verdicts.is_significant,
        cast(coalesce(channel_lists.channels_differing, 0) as integer) as channels_differing,
        channel_lists.channels_above,
        channel_lists.channels_below,
        channel_lists.channels_too_few,
        verdicts.min_relative_difference
    from verdicts
    left join channel_lists
        on verdicts.metric = channel_lists.metric
        and (
            verdicts.region_code = channel_lists.region
            or (verdicts.region_code is null and channel_lists.region is null)
        )

),

with_p_text as (

    select
        *,
        case
            when p_value_adjusted < 0.0001 then '< 0.0001'
            else '= ' || {{ format_number('p_value_adjusted', 4) }}
        end as p_text
    from joined

),

final as (

    select
        region,
        region_name,
        is_all_regions,
        metric,
        judged_on,
        customers,
        channels_with_customers,
        h_statistic,
        degrees_of_freedom,
        p_value,
        p_value_adjusted,
        epsilon_squared,
        effect_size,
        is_significant,
        channels_differing,
        channels_above,
        channels_below,
        channels_too_few,
        region_name || ', ' || judged_on || ': '
        || case
            when effect_size = 'untestable'
                then 'cannot be tested (fewer than two channels or all values tied).'
            when not is_significant
                then
                    'no evidence that the channel matters (Kruskal-Wallis p '
                    || p_text
                    || ' after Holm, epsilon-squared ' || {{ format_number('epsilon_squared', 4) }}
                    || ', ' || effect_size || '); the gaps between channels are noise.'
            else
                'the channel matters (Kruskal-Wallis p '
                || p_text
                || ' after Holm) and explains ' || {{ format_number('100 * epsilon_squared', 1) }}
                || ' % of the variation in ranks (epsilon-squared, ' || effect_size || '). '
                || case
                    when channels_differing = 0
                        then
                            'No single channel is both significantly and at least '
                            || {{ format_number('100 * min_relative_difference', 0) }}
                            || ' % away from the region; treat the gaps as noise.'
                    else
                        coalesce('Meaningfully higher: ' || channels_above || '. ', '')
                        || coalesce('Meaningfully lower: ' || channels_below || '. ', '')
                        || 'The other channels'' gaps are noise.'
                end
        end
        || coalesce(' Too few customers to judge: ' || channels_too_few || '.', '')
            as finding
    from with_p_text

)

select * from final
