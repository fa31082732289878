{#-
    The seed's findings (tests/dbt/assert_finding_*.sql) hold for the embedded customers
    segmented the classic way: the 14 classic features and k = 8 (a number, or `auto`, whose
    rule picks 8 on the embedded data as long as the scored k range contains 8). Other inputs, features or k have other findings, so
    those tests are disabled there: `config(enabled=seed_findings_apply())`.
-#}
{% macro classic_segmentation_features() -%}
    {{ return(['minutes_watched', 'clv', 'region_code'] + one_hot_features()) }}
{%- endmacro %}

{% macro seed_findings_apply() -%}
    {%- set k = var('n_segments') | string | trim | lower -%}
    {%- set auto_can_pick_8 = var('k_selection_min_k') | int <= 8 <= var('k_selection_max_k') | int -%}
    {{ return(
        var('customers_path') is none
        and (k == '8' or (k == 'auto' and auto_can_pick_8))
        and segmentation_features() == classic_segmentation_features()
    ) }}
{%- endmacro %}
