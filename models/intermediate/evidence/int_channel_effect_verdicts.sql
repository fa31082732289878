{#-
    The verdict of each Kruskal-Wallis test across channels, one row per region (and 'All
    regions', region_code null) and metric: the test's figures, the effect size named by the
    epsilon-squared thresholds and whether the Holm-adjusted p-value is below alpha (both from
    the settings). mart_channel_effect_summary adds which channels differ and the sentence.
-#}
with tests as (

    select * from {{ ref('int_channel_effect_tests') }}

),

regions as (

    select * from {{ ref('stg_regions') }}

),

settings as (

    select * from {{ ref('int_segmentation_settings') }}

),

final as (

    select
        tests.region_code,
        cast(tests.region_code as integer) as region,
        coalesce(regions.region_name, 'All regions') as region_name,
        tests.region_code is null as is_all_regions,
        tests.metric,
        case tests.metric
            when 'minutes_watched' then 'median minutes watched'
            else 'mean CLV'
        end as judged_on,
        cast(tests.n as bigint) as customers,
        cast(tests.n_groups as integer) as channels_with_customers,
        tests.h_statistic,
        cast(tests.degrees_of_freedom as integer) as degrees_of_freedom,
        tests.p_value,
        tests.p_value_adjusted,
        tests.epsilon_squared,
        case
            when tests.epsilon_squared is null then 'untestable'
            when tests.epsilon_squared >= settings.evidence__epsilon_squared_large then 'large'
            when tests.epsilon_squared >= settings.evidence__epsilon_squared_medium then 'medium'
            when tests.epsilon_squared >= settings.evidence__epsilon_squared_small then 'small'
            else 'negligible'
        end as effect_size,
        coalesce(tests.p_value_adjusted < settings.evidence__alpha, false) as is_significant,
        settings.evidence__min_relative_difference as min_relative_difference
    from tests
    left join regions on tests.region_code = regions.region_code
    cross join settings

)

select * from final
