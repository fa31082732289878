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

{#-
    An input value that may be text (CSV, the seed) or already a number (Parquet), as a
    double: null when blank or not a number. Text is trimmed and parsed; a number is used as is.
-#}
{% macro parse_raw_double(expression) -%}
    {{ return(adapter.dispatch('parse_raw_double', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__parse_raw_double(expression) -%}
    {{ parse_double("nullif(trim(" ~ as_text(expression) ~ "), '')") }}
{%- endmacro %}

{#-
    DuckDB folds typeof() to a constant when the query is planned, so for a numeric Parquet
    column only the plain cast runs: no round trip through text (5 s on 10M rows x 4 columns).
-#}
{% macro duckdb__parse_raw_double(expression) -%}
    (case when {{ duckdb__is_numeric_type(expression) }}
        then cast({{ expression }} as double)
        else {{ default__parse_raw_double(expression) }} end)
{%- endmacro %}

{#- True when an input value (text or number) is missing: null, or blank text. -#}
{% macro raw_is_blank(expression) -%}
    {{ return(adapter.dispatch('raw_is_blank', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__raw_is_blank(expression) -%}
    (nullif(trim({{ as_text(expression) }}), '') is null)
{%- endmacro %}

{% macro duckdb__raw_is_blank(expression) -%}
    (case when {{ duckdb__is_numeric_type(expression) }}
        then {{ expression }} is null
        else {{ default__raw_is_blank(expression) }} end)
{%- endmacro %}

{% macro duckdb__is_numeric_type(expression) -%}
    (typeof({{ expression }}) in ('DOUBLE', 'FLOAT', 'BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT',
        'HUGEINT', 'UBIGINT', 'UINTEGER', 'USMALLINT', 'UTINYINT')
        or typeof({{ expression }}) like 'DECIMAL%')
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
