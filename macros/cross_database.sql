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

{#- Spark orders NaN above every number and NaN = NaN is true, hence isnan. -#}
{% macro spark__is_finite(expression) -%}
    (not isnan({{ expression }}) and abs({{ expression }}) < cast('Infinity' as double))
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

{#- Spark's exact percentile interpolates like quantile_cont (and exists on every runtime). -#}
{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
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

{#- Spark 4 runs in ANSI mode, where a plain cast of 'abc' fails the query. -#}
{% macro spark__parse_double(expression) -%}
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

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#-
    A share: numerator / denominator as a double. `x * 1.0 / y` is a double on DuckDB but a
    decimal on Spark (1.0 is a decimal literal there), which breaks the marts' contracts.
-#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / {{ denominator }}
{%- endmacro %}

{#- 1.0 when the condition holds, else 0.0, as a double (a 0/1 one-hot feature). -#}
{% macro indicator(condition) -%}
    cast(case when {{ condition }} then 1 else 0 end as {{ type_double() }})
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

{#- Spark's format_number writes the same thousands separators ('1,234.5'). -#}
{% macro spark__format_number(expression, decimals=0) -%}
    format_number(cast({{ expression }} as double), {{ decimals }})
{%- endmacro %}

{#-
    dbt-spark loads a seed with one `insert ... values` per 10,000 rows (dbt's seed batch size);
    Spark writes the rows of one insert in order into files part-00000, part-00001, ... The
    Parquet file metadata (file name, row index in the file) gives that order back. Seeds longer
    than one batch would need the batch order too, which Spark does not keep: the Spark
    comparison test checks customer by customer that the ids match DuckDB's.
-#}
{% macro spark__seed_row_position() -%}
    row_number() over (order by _metadata.file_name, _metadata.row_index)
{%- endmacro %}

{#-
    A text column of a seed as loaded. dbt-spark's `session` method (1.11) binds a blank CSV
    value as the text 'None' instead of null when it loads a seed (its _fix_binding quotes every
    non-number), so on that method 'None' means blank. Other methods and adapters load null.
    dbt-spark keeps the method out of `target`, so the local session target is known by its
    name in profiles.yml, `spark` (as for file_format in dbt_project.yml).
-#}
{% macro seed_text(column) -%}
    {{ return(adapter.dispatch('seed_text', 'customer_segmentation')(column)) }}
{%- endmacro %}

{% macro default__seed_text(column) -%}
    {{ column }}
{%- endmacro %}

{% macro spark__seed_text(column) -%}
    {%- if target.name == 'spark' -%}
        nullif({{ column }}, 'None')
    {%- else -%}
        {{ column }}
    {%- endif -%}
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

{#-
    The non-null texts of a group joined by `delimiter`, ordered by `order_expression` (then by
    the text), null when there are none: an aggregate. dbt's listagg ignores the order on
    Spark (dbt-spark warns and drops it) and returns '' for an empty group, hence this macro.
-#}
{% macro ordered_list(measure, order_expression, descending=false, delimiter=', ') -%}
    {{ return(adapter.dispatch('ordered_list', 'customer_segmentation')(
        measure, order_expression, descending, delimiter)) }}
{%- endmacro %}

{% macro default__ordered_list(measure, order_expression, descending, delimiter) -%}
    {{ dbt.listagg(measure, "'" ~ delimiter ~ "'",
        "order by " ~ order_expression ~ (" desc" if descending else "") ~ ", " ~ measure) }}
{%- endmacro %}

{% macro spark__ordered_list(measure, order_expression, descending, delimiter) -%}
    nullif(array_join(transform(
        sort_array(
            collect_list(case when ({{ measure }}) is not null
                then named_struct('k', {{ order_expression }}, 'v', {{ measure }}) end),
            {{ 'false' if descending else 'true' }}),
        x -> x.v), '{{ delimiter }}'), '')
{%- endmacro %}

{#- A whole number parsed from text (a bigint), or null when the text is not one. -#}
{% macro parse_integer(expression) -%}
    {{ return(adapter.dispatch('parse_integer', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__parse_integer(expression) -%}
    {{ dbt.safe_cast(expression, 'bigint') }}
{%- endmacro %}

{#- Digits only: DuckDB's cast rounds '7.5' to 8. -#}
{% macro duckdb__parse_integer(expression) -%}
    (case when regexp_full_match({{ expression }}, '[+-]?[0-9]{1,18}')
        then try_cast({{ expression }} as bigint) end)
{%- endmacro %}

{% macro spark__parse_integer(expression) -%}
    (case when {{ expression }} rlike '^[+-]?[0-9]{1,18}$'
        then try_cast({{ expression }} as bigint) end)
{%- endmacro %}

{#- The q-quantile of a numeric expression (interpolated like quantile_cont), as an aggregate. -#}
{% macro quantile_value(expression, q) -%}
    {{ return(adapter.dispatch('quantile_value', 'customer_segmentation')(expression, q)) }}
{%- endmacro %}

{% macro default__quantile_value(expression, q) -%}
    percentile_cont({{ q }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__quantile_value(expression, q) -%}
    quantile_cont({{ expression }}, {{ q }})
{%- endmacro %}

{% macro spark__quantile_value(expression, q) -%}
    percentile({{ expression }}, {{ q }})
{%- endmacro %}

{#-
    A JSON object as text from [[key, SQL expression], ...] (keys are attribute names: letters,
    digits and _); null when there are no pairs. Numbers stay numbers, text is quoted.
-#}
{% macro json_object_text(pairs) -%}
    {%- if pairs | length == 0 -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        {{ adapter.dispatch('json_object_text', 'customer_segmentation')(pairs) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__json_object_text(pairs) -%}
    cast(json_object({% for key, expression in pairs %}'{{ key }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor %}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__json_object_text(pairs) -%}
    to_json(named_struct({% for key, expression in pairs %}'{{ key }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor %}))
{%- endmacro %}
