{#-
    The day the data describes, as 'YYYY-MM-DD': the `snapshot_date` var, or the day the dbt
    run started (UTC) when the var is null. Fails on a value that is not a date.
-#}
{% macro snapshot_date() -%}
    {%- set value = var('snapshot_date', none) -%}
    {%- if value is none or value == '' -%}
        {{- run_started_at.strftime('%Y-%m-%d') -}}
    {%- else -%}
        {%- set text = value | string -%}
        {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', text) -%}
            {{ exceptions.raise_compiler_error("var snapshot_date: expected a date 'YYYY-MM-DD', got '" ~ text ~ "'") }}
        {%- endif -%}
        {{- text -}}
    {%- endif -%}
{%- endmacro %}
