{#-
    Does the acquisition channel shape learning and value? Per region (and 'All regions') and
    channel: median and mean minutes and mean CLV with bootstrap intervals, each figure's gap to
    the region with its interval, and whether the gap is meaningful: significant after Holm's
    correction over the region's channels (below the setting evidence.alpha) AND at least
    evidence.min_relative_difference of the region's value AND from at least
    evidence.min_customers customers (customer_segmentation.settings, read from
    int_segmentation_settings).
-#}
{%- set figures = ['median_minutes_watched', 'mean_minutes_watched', 'mean_clv'] -%}
{%- set python_names = {
    'median_minutes_watched': 'median_minutes',
    'mean_minutes_watched': 'mean_minutes',
    'mean_clv': 'mean_clv'} -%}
{#-
    The estimate columns each figure passes through, '%s' standing for the figure: its Python
    name in the estimate, its mart name in the alias (no alias where the two are the same).
-#}
{%- set passed_through = [
    '%s', '%s_ci_low', '%s_ci_high', 'region_%s', '%s_difference', '%s_difference_ci_low',
    '%s_difference_ci_high', '%s_difference_p_adjusted'] -%}

with estimates as (

    select * from {{ ref('int_channel_effect_estimates') }}

),

regions as (

    select * from {{ ref('stg_regions') }}

),

channels as (

    select * from {{ ref('stg_channels') }}

),

settings as (

    select * from {{ ref('int_segmentation_settings') }}

),

final as (

    select
        cast(estimates.region_code as integer) as region,
        coalesce(regions.region_name, 'All regions') as region_name,
        estimates.region_code is null as is_all_regions,
        cast(estimates.channel_code as integer) as channel,
        channels.channel_name,
        channels.is_social_media,
        cast(estimates.customers as bigint) as customers,
        cast(estimates.region_customers as bigint) as region_customers,
        {{ ratio('estimates.customers', 'estimates.region_customers') }} as share_of_region,
        estimates.customers < settings.evidence__min_customers as is_too_few_customers,
        {%- for figure in figures %}
        {%- set source = python_names[figure] %}
        {%- for pattern in passed_through %}
        {%- set source_column = pattern | format(source) %}
        {%- set column = pattern | format(figure) %}
        {%- if source_column == column %}
        estimates.{{ column }},
        {%- else %}
        estimates.{{ source_column }} as {{ column }},
        {%- endif %}
        {%- endfor %}
        (
            estimates.{{ source }}_difference_p_adjusted < settings.evidence__alpha
            and abs(estimates.{{ source }}_difference) >= (
                settings.evidence__min_relative_difference
                * abs(estimates.region_{{ source }})
            )
            and estimates.customers >= settings.evidence__min_customers
        ) as {{ figure }}_differs,
        {%- endfor %}
        cast(estimates.n_resamples as integer) as n_resamples,
        estimates.confidence_level
    from estimates
    left join regions on estimates.region_code = regions.region_code
    inner join channels on estimates.channel_code = channels.channel_code
    cross join settings

)

select * from final
