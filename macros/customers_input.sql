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

{#-
    Largest minutes_watched or CLV accepted. Above 1e15 a double no longer holds amounts to the
    cent, so such a value is a unit or export error, and the exact (order-independent) sums of
    macros/cross_database.sql stay far from overflowing for any number of customers.
-#}
{% macro max_customer_value() -%}
    {{ return('1e15') }}
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

{#- File formats customers_path may point at, by how the name ends (case-insensitive). -#}
{% macro customers_file_extensions() -%}
    {{ return({'csv': ['.csv', '.csv.gz', '.tsv', '.txt'], 'parquet': ['.parquet', '.pq']}) }}
{%- endmacro %}

{#- 'csv' or 'parquet' from the file name; an unknown extension stops the build. -#}
{% macro customers_file_format(path) -%}
    {%- for format, extensions in customers_file_extensions().items() -%}
        {%- for extension in extensions -%}
            {%- if path.lower().endswith(extension) -%}
                {{ return(format) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set known = [] -%}
    {%- for extensions in customers_file_extensions().values() -%}
        {%- do known.extend(extensions) -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "var customers_path: cannot tell the format of '" ~ path ~ "'; the file name must end in "
        ~ known | join(', ') ~ " (export the data to CSV or Parquet)") }}
{%- endmacro %}

{% macro customers_file_reader(path, options='') -%}
    {%- set quoted = "'" ~ (path | replace("'", "''")) ~ "'" -%}
    {%- if customers_file_format(path) == 'parquet' -%}
        {{ return('read_parquet(' ~ quoted ~ ')') }}
    {%- else -%}
        {#- all_varchar: every value arrives as text, so a bad value is quarantined with its reason
            instead of failing the type sniffer. The dialect (delimiter, quote, header) is
            sniffed: ',', ';', tab and '|' files all work. -#}
        {{ return('read_csv(' ~ quoted ~ ', header = true, all_varchar = true' ~ options ~ ')') }}
    {%- endif -%}
{%- endmacro %}

{#-
    File-level checks, run when the model executes: the file exists and is not empty, every row
    has as many fields as the header (CSV), every required column is there (matched
    case-insensitively), and it has at least one data row. Each failure is one line naming the
    file and saying what to fix.
-#}
{% macro validate_customers_file(path, reader) -%}
    {%- set quoted = "'" ~ (path | replace("'", "''")) ~ "'" -%}
    {%- set found = run_query('select count(*) from glob(' ~ quoted ~ ')').columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ exceptions.raise_compiler_error(
            "customers file '" ~ path ~ "' does not exist: fix var customers_path (relative paths "
            ~ "are read from the project root)") }}
    {%- endif -%}
    {%- set size = run_query('select size from read_blob(' ~ quoted ~ ')').columns[0].values()[0] -%}
    {%- if size == 0 -%}
        {{ exceptions.raise_compiler_error("customers file '" ~ path ~ "' is empty (0 bytes)") }}
    {%- endif -%}
    {%- if customers_file_format(path) == 'csv' -%}
        {%- do validate_customers_csv_rows(path) -%}
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
            ~ "; found: " ~ described.columns[0].values() | join(', ')
            ~ "). The first line must be a header naming the columns.") }}
    {%- endif -%}
    {%- set rows = run_query('select count(*) from ' ~ reader).columns[0].values()[0] -%}
    {%- if rows == 0 -%}
        {{ exceptions.raise_compiler_error(
            "customers file '" ~ path ~ "' has a header but no data rows") }}
    {%- endif -%}
{%- endmacro %}

{#-
    A CSV row with more or fewer fields than the header is a broken file, not a bad value: DuckDB
    would stop with a parser error (or, for a small file, misread the whole file as one column).
    Scan the file once keeping the malformed lines aside and stop with the first one's line
    number, so nothing is ever dropped silently.
-#}
{% macro validate_customers_csv_rows(path) -%}
    {%- set reader = customers_file_reader(
        path, ", store_rejects = true, rejects_table = 'customers_input_errors', "
              ~ "rejects_scan = 'customers_input_scans'") -%}
    {%- do run_query('select count(*) from ' ~ reader) -%}
    {%- set errors = run_query(
        "select e.line, e.error_type, e.csv_line, e.error_message, count(*) over () as n_errors "
        ~ "from customers_input_errors e "
        ~ "where e.scan_id = (select max(scan_id) from customers_input_scans) "
        ~ "order by e.line limit 1") -%}
    {%- if errors.rows | length > 0 -%}
        {%- set first = errors.rows[0] -%}
        {{ exceptions.raise_compiler_error(
            "customers file '" ~ path ~ "' line " ~ first[0] ~ " is malformed ("
            ~ first[3] ~ ": " ~ first[2] ~ "); " ~ first[4] ~ " malformed line(s) in all. "
            ~ "Every row needs exactly one value per header column: fix or remove the line.") }}
    {%- endif -%}
{%- endmacro %}
