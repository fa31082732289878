{#-
    The seed's findings (tests/dbt/assert_finding_*.sql) hold for the embedded customers
    segmented the classic way: the embedded seed read as delivered (no other input, mapping or
    attribute), the classic features and k = 8 (a number, or `auto`, whose rule picks 8 on the
    embedded data as long as the scored k range contains 8). Other inputs, features or k have
    other findings, so those tests are disabled there: `config(enabled=seed_findings_apply())`.
    Decided from the vars alone, as it must be while dbt parses.
-#}
{% macro classic_segmentation_features() -%}
    {{ return([
        ['minutes_watched', 'clv', 'region_code', 'channel', 'region'],
        ['minutes_watched', 'clv', 'region_code', 'channel_google', 'channel_facebook',
         'channel_youtube', 'channel_linkedin', 'channel_twitter', 'channel_instagram',
         'channel_friend', 'channel_other', 'region_usa_canada_uk_australia',
         'region_western_europe', 'region_rest_of_world'],
    ]) }}
{%- endmacro %}

{% macro seed_findings_apply() -%}
    {%- set k = var('n_segments') | string | trim | lower -%}
    {#- The k range of segmentation_settings.k_selection (or the older flat vars); unset, the
        defaults of customer_segmentation.settings (2..12) hold 8. -#}
    {%- set k_range = var('segmentation_settings', {}).get('k_selection', {}) -%}
    {%- set min_k = k_range.get('min_k', var('k_selection_min_k', none)) -%}
    {%- set max_k = k_range.get('max_k', var('k_selection_max_k', none)) -%}
    {%- set auto_can_pick_8 = (min_k is none or min_k | int <= 8)
        and (max_k is none or max_k | int >= 8) -%}
    {%- set requested = var('segmentation_features') -%}
    {%- if requested is string -%}
        {%- set requested = requested.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {{ return(
        customer_input_kind() == 'seed'
        and customer_columns() == default_customer_columns()
        and customer_attributes() | length == 0
        and (k == '8' or (k == 'auto' and auto_can_pick_8))
        and requested | list in classic_segmentation_features()
    ) }}
{%- endmacro %}
