{#-
    The few SQL functions that differ between adapters. Models call these instead of
    DuckDB-only functions so that another adapter only needs a `<adapter>__` implementation.
-#}

{#- True when a double is neither NaN nor +/-infinity. -#}
{% macro is_finite(expression) -%}
    {{ return(adapter.dispatch('is_finite', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__is_finite(expression) -%}
    ({{ expression }} = {{ expression }}
        and {{ expression }} < cast('Infinity' as {{ type_double() }})
        and {{ expression }} > cast('-Infinity' as {{ type_double() }}))
{%- endmacro %}

{% macro duckdb__is_finite(expression) -%}
    isfinite({{ expression }})
{%- endmacro %}

{#- The median of a numeric expression, as an aggregate. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    quantile_cont({{ expression }}, 0.5)
{%- endmacro %}

{#- A double parsed from text, or null when the text is not a number. -#}
{% macro parse_double(expression) -%}
    {{ return(adapter.dispatch('parse_double', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__parse_double(expression) -%}
    {{ dbt.safe_cast(expression, type_double()) }}
{%- endmacro %}

{#- dbt-duckdb's safe_cast is a plain cast; try_cast returns null instead of failing. -#}
{% macro duckdb__parse_double(expression) -%}
    try_cast({{ expression }} as double)
{%- endmacro %}

{#- Text of any value (used to keep raw values in the quarantine). -#}
{% macro as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- A double precision type (dbt.type_float() is single precision on some adapters). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customer_segmentation')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{#- Join the non-null texts with a separator; null when every part is null. -#}
{% macro join_non_null(parts, separator='; ') -%}
    nullif(concat_ws('{{ separator }}', {{ parts | join(', ') }}), '')
{%- endmacro %}

{#-
    1-based position of each row of a seed table in its file. Seeds are inserted in file order;
    DuckDB exposes that order as rowid, which keeps counting up when dbt reloads the seed into
    the same table, hence the row_number over it.
-#}
{% macro seed_row_position() -%}
    {{ return(adapter.dispatch('seed_row_position', 'customer_segmentation')()) }}
{%- endmacro %}

{% macro default__seed_row_position() -%}
    row_number() over ()
{%- endmacro %}

{% macro duckdb__seed_row_position() -%}
    row_number() over (order by rowid)
{%- endmacro %}

{#- A number as text with thousands separators and a fixed number of decimals (for sentences). -#}
{% macro format_number(expression, decimals=0) -%}
    {{ return(adapter.dispatch('format_number', 'customer_segmentation')(expression, decimals)) }}
{%- endmacro %}

{% macro default__format_number(expression, decimals=0) -%}
    cast(round(cast({{ expression }} as {{ type_double() }}), {{ decimals }}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__format_number(expression, decimals=0) -%}
    format('{:,.{{ decimals }}f}', cast({{ expression }} as double))
{%- endmacro %}
