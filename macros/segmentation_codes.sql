{#-
    The region and channel codes of the input file and the slugs used to name their one-hot
    feature columns. The seeds region_codes and channel_codes carry the same codes with human
    names; the singular test `assert_code_macros_match_seeds` keeps the two in step.
    Feature columns need their names at compile time, before any seed is loaded, which is why
    the codes are also spelled out here.
-#}
{% macro region_codes() -%}
    {{ return({0: 'usa_canada_uk_australia', 1: 'western_europe', 2: 'rest_of_world'}) }}
{%- endmacro %}

{% macro channel_codes() -%}
    {{ return({
        1: 'google', 2: 'facebook', 3: 'youtube', 4: 'linkedin',
        5: 'twitter', 6: 'instagram', 7: 'friend', 8: 'other'
    }) }}
{%- endmacro %}

{#- The one-hot feature names: channel_<slug> for every channel, then region_<slug>. -#}
{% macro one_hot_features() -%}
    {%- set features = [] -%}
    {%- for code, slug in channel_codes().items() -%}
        {%- do features.append('channel_' ~ slug) -%}
    {%- endfor -%}
    {%- for code, slug in region_codes().items() -%}
        {%- do features.append('region_' ~ slug) -%}
    {%- endfor -%}
    {{ return(features) }}
{%- endmacro %}

{#- Every feature int_customer_features_encoded offers, in its column order. -#}
{% macro available_features() -%}
    {{ return(['minutes_watched', 'clv', 'region_code', 'channel_code',
               'minutes_watched_log1p', 'minutes_watched_was_blank'] + one_hot_features()) }}
{%- endmacro %}

{#-
    The `segmentation_features` var, checked: a list of known feature names without repeats.
    A bad value stops the build with one line saying what to fix.
-#}
{% macro segmentation_features() -%}
    {%- set requested = var('segmentation_features') -%}
    {%- if requested is string -%}
        {%- set requested = requested.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {%- set known = available_features() -%}
    {%- if requested | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "var segmentation_features is empty: list at least one of " ~ known | join(', ')) }}
    {%- endif -%}
    {%- for feature in requested -%}
        {%- if feature not in known -%}
            {{ exceptions.raise_compiler_error(
                "var segmentation_features: unknown feature '" ~ feature ~ "'; choose from "
                ~ known | join(', ')) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if requested | unique | list | length != requested | length -%}
        {{ exceptions.raise_compiler_error(
            "var segmentation_features lists a feature twice: " ~ requested | join(', ')) }}
    {%- endif -%}
    {{ return(requested) }}
{%- endmacro %}
