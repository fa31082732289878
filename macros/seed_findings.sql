{#-
    The seed's findings (tests/dbt/assert_finding_*.sql) hold for the embedded customers
    segmented the classic way: the 14 classic features and k = 8 (a number, or `auto`, whose
    rule picks 8 on the embedded data). Other inputs, features or k have other findings, so
    those tests are disabled there: `config(enabled=seed_findings_apply())`.
-#}
{% macro classic_segmentation_features() -%}
    {{ return(['minutes_watched', 'clv', 'region_code'] + one_hot_features()) }}
{%- endmacro %}

{% macro seed_findings_apply() -%}
    {{ return(
        var('customers_path') is none
        and (var('n_segments') | string | trim | lower) in ['8', 'auto']
        and segmentation_features() == classic_segmentation_features()
    ) }}
{%- endmacro %}
