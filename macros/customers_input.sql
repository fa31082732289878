{#-
    The customer input, one row per data row of the input file, with its 1-based position as
    customer_id and the four required columns as read (text for CSV and the seed, native types
    for Parquet):

        customer_id, minutes_watched_raw, clv_raw, region_raw, channel_raw, input_source

    The embedded seed is the default; the `customers_path` var points at a CSV or Parquet file
    instead. File-level problems stop the build with a message naming the file and the column.
-#}

{% macro required_customer_columns() -%}
    {{ return(['minutes_watched', 'CLV', 'region', 'channel']) }}
{%- endmacro %}

{% macro customers_input() -%}
    {%- set path = var('customers_path', none) -%}
    {%- if path is none or (path | string | trim) == '' -%}
        select
            cast({{ seed_row_position() }} as bigint) as customer_id,
            {{ seed_text('minutes_watched') }} as minutes_watched_raw,
            {{ seed_text('clv') }} as clv_raw,
            {{ seed_text('region') }} as region_raw,
            {{ seed_text('channel') }} as channel_raw,
            'seed customer_segmentation_data' as input_source
        from {{ ref('customer_segmentation_data') }}
    {%- else -%}
        {{ return(adapter.dispatch('customers_file_input', 'customer_segmentation')(path | string | trim)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__customers_file_input(path) -%}
    {{ exceptions.raise_compiler_error(
        "customers_path is only supported on DuckDB (it reads the file directly). On "
        ~ adapter.type() ~ " load '" ~ path ~ "' as a table and leave customers_path unset.") }}
{%- endmacro %}

{#- DuckDB reads the file in place: CSV (text, sniffed dialect, BOM and CRLF fine) or Parquet. -#}
{% macro duckdb__customers_file_input(path) -%}
    {%- set reader = customers_file_reader(path) -%}
    {%- if execute -%}
        {%- do validate_customers_file(path, reader) -%}
    {%- endif -%}
    select
        ordinality as customer_id,
        minutes_watched as minutes_watched_raw,
        clv as clv_raw,
        region as region_raw,
        channel as channel_raw,
        '{{ path | replace("'", "''") }}' as input_source
    from {{ reader }} with ordinality
{%- endmacro %}

{% macro customers_file_reader(path) -%}
    {%- set quoted = "'" ~ (path | replace("'", "''")) ~ "'" -%}
    {%- if path.lower().endswith('.parquet') -%}
        {{ return('read_parquet(' ~ quoted ~ ')') }}
    {%- else -%}
        {#- all_varchar: every value arrives as text, so a bad value is quarantined with its reason
            instead of failing the type sniffer. -#}
        {{ return('read_csv(' ~ quoted ~ ', header = true, all_varchar = true)') }}
    {%- endif -%}
{%- endmacro %}

{#-
    File-level checks, run when the model executes: the file exists and is not empty, every
    required column is there (matched case-insensitively), and it has at least one data row.
-#}
{% macro validate_customers_file(path, reader) -%}
    {%- set quoted = "'" ~ (path | replace("'", "''")) ~ "'" -%}
    {%- set found = run_query('select count(*) from glob(' ~ quoted ~ ')').columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ exceptions.raise_compiler_error(
            "customers file '" ~ path ~ "' does not exist (var customers_path; relative paths "
            ~ "are read from the project root)") }}
    {%- endif -%}
    {%- set size = run_query('select size from read_blob(' ~ quoted ~ ')').columns[0].values()[0] -%}
    {%- if size == 0 -%}
        {{ exceptions.raise_compiler_error("customers file '" ~ path ~ "' is empty (0 bytes)") }}
    {%- endif -%}
    {%- set described = run_query('describe select * from ' ~ reader) -%}
    {%- set columns = described.columns[0].values() | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for column in required_customer_columns() -%}
        {%- if column.lower() not in columns -%}
            {%- do missing.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "customers file '" ~ path ~ "' has no column " ~ missing | join(', ')
            ~ " (required: " ~ required_customer_columns() | join(', ')
            ~ "; found: " ~ described.columns[0].values() | join(', ') ~ ")") }}
    {%- endif -%}
    {%- set rows = run_query('select count(*) from ' ~ reader).columns[0].values()[0] -%}
    {%- if rows == 0 -%}
        {{ exceptions.raise_compiler_error(
            "customers file '" ~ path ~ "' has a header but no data rows") }}
    {%- endif -%}
{%- endmacro %}
