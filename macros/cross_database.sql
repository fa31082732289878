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

{#-
    Sums and means of doubles that do not depend on row order, so two builds of the same input
    give bit-identical results. DuckDB adds rows up in whatever order its threads and the
    tables' physical order deliver them, and a double sum rounds differently for each order
    (measured: totals and the scaler's means differed in the last bits between two builds,
    which even flipped ties in the Ward tree). Here each value is rounded to `scale` decimals
    and summed exactly as a 38-digit decimal: the result is exact for values with at most
    `scale` decimals and order-independent always. The sum must stay below 10^(38 - scale):
    stg_customers rejects minutes and CLV above 1e15 (see max_customer_value()), so with the
    default scale 10 that allows over 10^13 customers.
-#}
{% macro exact_sum(expression, scale=10) -%}
    {{ return(adapter.dispatch('exact_sum', 'customer_segmentation')(expression, scale)) }}
{%- endmacro %}

{% macro default__exact_sum(expression, scale) -%}
    cast(sum(cast({{ expression }} as decimal(38, {{ scale }}))) as {{ type_double() }})
{%- endmacro %}

{#- Order-independent mean; null for no rows, like avg(). -#}
{% macro exact_avg(expression, scale=10) -%}
    ({{ exact_sum(expression, scale) }} / nullif(count({{ expression }}), 0))
{%- endmacro %}
