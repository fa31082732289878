{#-
    True when a rule's tier condition (a column of the recommendation_rules seed) accepts a
    segment's tier: '*' accepts any tier, 'a|b' accepts a or b (spaces ignored).
-#}
{% macro tier_condition(rule_column, tier_column) -%}
    (
        trim({{ rule_column }}) = '*'
        or '|' || replace(replace(trim({{ rule_column }}), ' |', '|'), '| ', '|') || '|' like '%|' || {{ tier_column }} || '|%'
    )
{%- endmacro %}
