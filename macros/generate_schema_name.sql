{#-
    Use the folder's custom schema name as is (raw, staging, intermediate, marts, semantic)
    instead of dbt's default "<target schema>_<custom>", so BI users see `marts.mart_...`.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
