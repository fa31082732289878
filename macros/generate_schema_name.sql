{#-
    Use the folder's custom schema name as is (raw, staging, intermediate, clustering, marts)
    instead of dbt's default "<target schema>_<custom>", so BI users see `marts.fct_...`.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
