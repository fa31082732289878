{#-
    The input contract: where the customers come from and which of their columns play which
    role. Everything here is configuration read from vars (docs/your-data.md):

        customers_path      a CSV or Parquet file (DuckDB reads it in place)
        customers_table     a table or view in the warehouse, read through the dbt source
                            customer_input.customers (customers_schema, customers_database,
                            customers_attach say where it is)
        customer_columns    role -> the input's column name (customer_id, minutes_watched, clv,
                            region, channel); unmapped roles keep the embedded file's names
        customer_id_type    text or integer: the type of a mapped key (default text)
        customer_attributes further numeric or categorical columns to carry and profile

    With none of them set the input is the embedded seed. Every name from a var is validated
    and quoted as an identifier or a literal: configuration is data, never SQL.
-#}

{#- The roles every input provides, in the order base_customers lists them. -#}
{% macro customer_roles() -%}
    {{ return(['customer_id', 'minutes_watched', 'clv', 'region', 'channel']) }}
{%- endmacro %}

{#- The embedded file's column for each role (it has no key: customer_id is the row position). -#}
{% macro default_customer_columns() -%}
    {{ return({'customer_id': none, 'minutes_watched': 'minutes_watched', 'clv': 'CLV',
               'region': 'region', 'channel': 'channel'}) }}
{%- endmacro %}

{#- An input var, or else the environment variable of its name in capitals (customers_table ->
    CUSTOMERS_TABLE); blank text counts as unset. The source YAML repeats this lookup. -#}
{% macro input_setting(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or (value is string and value | trim == '') -%}
        {%- set value = env_var(name | upper, '') -%}
    {%- endif -%}
    {%- if value is none or (value is string and value | trim == '') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if value is not string -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ ": expected text, got " ~ value ~ " (" ~ value.__class__.__name__ ~ ")") }}
    {%- endif -%}
    {{ return(value | trim) }}
{%- endmacro %}

{#-
    An identifier from configuration (a column, table, schema, database or alias name). Any text
    is allowed and read literally once quoted, except quote characters and control characters,
    which cannot be quoted portably: those stop the build naming the var.
-#}
{% macro checked_identifier(value, setting) -%}
    {%- set text = value | string -%}
    {%- if text | trim == '' -%}
        {{ exceptions.raise_compiler_error("var " ~ setting ~ ": the name is blank") }}
    {%- endif -%}
    {%- if modules.re.search('["`\\x00-\\x1f]', text) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ setting ~ ": " ~ text | tojson ~ " is not a usable name (it contains a quote or a "
            ~ "control character); rename the column or table") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{#- An identifier quoted for the adapter: "name" on DuckDB, `name` on Spark. -#}
{% macro quote_identifier(name) -%}
    {{ return(adapter.dispatch('quote_identifier', 'customer_segmentation')(name)) }}
{%- endmacro %}

{% macro default__quote_identifier(name) -%}
    {{ return('"' ~ name | replace('"', '""') ~ '"') }}
{%- endmacro %}

{% macro spark__quote_identifier(name) -%}
    {{ return('`' ~ name | replace('`', '``') ~ '`') }}
{%- endmacro %}

{#- Text as a SQL string literal, read literally whatever it holds. -#}
{% macro sql_literal(text) -%}
    {{ return(adapter.dispatch('sql_literal', 'customer_segmentation')(text | string)) }}
{%- endmacro %}

{% macro default__sql_literal(text) -%}
    {{ return("'" ~ text | replace("'", "''") ~ "'") }}
{%- endmacro %}

{#- Spark string literals treat a backslash as an escape. -#}
{% macro spark__sql_literal(text) -%}
    {{ return("'" ~ text | replace('\\', '\\\\') | replace("'", "\\'") ~ "'") }}
{%- endmacro %}

{#- 'seed', 'file' or 'table': which input the build reads. -#}
{% macro customer_input_kind() -%}
    {%- set path = input_setting('customers_path') -%}
    {%- set table = input_setting('customers_table') -%}
    {%- if path is not none and table is not none -%}
        {{ exceptions.raise_compiler_error(
            "vars customers_path and customers_table are both set ('" ~ path ~ "', '" ~ table
            ~ "'): the customers come from one input, unset one of them") }}
    {%- endif -%}
    {{ return('file' if path is not none else ('table' if table is not none else 'seed')) }}
{%- endmacro %}

{#- The role -> input column mapping: var customer_columns over the embedded file's names. -#}
{% macro customer_columns() -%}
    {%- set requested = var('customer_columns', none) or {} -%}
    {%- if requested is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "var customer_columns: expected a mapping of roles to column names, e.g. "
            ~ "{customer_id: account_id, clv: lifetime_value}; got " ~ requested) }}
    {%- endif -%}
    {%- set columns = default_customer_columns() -%}
    {%- for role, column in requested.items() -%}
        {%- if role not in customer_roles() -%}
            {{ exceptions.raise_compiler_error(
                "var customer_columns: unknown role '" ~ role ~ "'; the roles are "
                ~ customer_roles() | join(', ')) }}
        {%- endif -%}
        {%- if column is none or (column is string and column | trim == '') -%}
            {%- if role != 'customer_id' -%}
                {{ exceptions.raise_compiler_error(
                    "var customer_columns: role " ~ role ~ " needs a column (only customer_id may "
                    ~ "be left unmapped, which numbers the rows instead)") }}
            {%- endif -%}
            {%- do columns.update({role: none}) -%}
        {%- else -%}
            {%- do columns.update({role: checked_identifier(column, 'customer_columns.' ~ role)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- 'integer' or 'text' for a mapped key; 'integer' for row positions (no key column). -#}
{% macro customer_id_type() -%}
    {%- set declared = (var('customer_id_type', none) or 'text') | string | trim | lower -%}
    {%- if declared not in ['text', 'integer'] -%}
        {{ exceptions.raise_compiler_error(
            "var customer_id_type: expected text or integer, got '" ~ declared ~ "'") }}
    {%- endif -%}
    {{ return(declared if customer_columns()['customer_id'] is not none else 'integer') }}
{%- endmacro %}

{#- The SQL type of customer_id in every per-customer table. -#}
{% macro customer_id_sql_type() -%}
    {{ return('bigint' if customer_id_type() == 'integer' else dbt.type_string()) }}
{%- endmacro %}

{#-
    The declared extra attributes (var customer_attributes), checked. Each is a mapping:
        name      the attribute's name in the project (lower-case letters, digits, _)
        type      numeric or categorical
        column    the input's column (default: name)
        minimum   numeric only: smallest accepted value (default: none)
        if_blank  numeric: reject (default) or zero; categorical: reject (default) or a label
                  that blanks take, e.g. 'Unknown'
    Returns a list of mappings with every key filled in.
-#}
{% macro customer_attributes() -%}
    {%- set requested = var('customer_attributes', none) or [] -%}
    {%- if requested is mapping or requested is string -%}
        {{ exceptions.raise_compiler_error(
            "var customer_attributes: expected a list, e.g. [{name: plan, type: categorical}]") }}
    {%- endif -%}
    {%- set reserved = customer_roles() + ['input_row', 'customer_order', 'input_source', 'region_code',
        'channel_code', 'minutes_watched_was_blank', 'rejection_reason', 'rejection_rule', 'is_valid'] -%}
    {%- set attributes = [] -%}
    {%- set names = [] -%}
    {%- for item in requested -%}
        {%- if item is not mapping -%}
            {{ exceptions.raise_compiler_error(
                "var customer_attributes: item " ~ loop.index ~ " is not a mapping with name and "
                ~ "type: " ~ item) }}
        {%- endif -%}
        {%- set name = (item.get('name') or '') | string -%}
        {%- set label = 'customer_attributes[' ~ loop.index0 ~ ']' -%}
        {%- if not modules.re.match('^[a-z][a-z0-9_]{0,62}$', name) -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ label ~ ": name " ~ name | tojson ~ " must be lower-case letters, digits and _ "
                ~ "(starting with a letter); map the input's own column with `column`") }}
        {%- endif -%}
        {%- if name in reserved or name in names -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ label ~ ": name '" ~ name ~ "' is " ~ ("used twice" if name in names
                else "a name the project uses itself") ~ "; choose another name") }}
        {%- endif -%}
        {%- set kind = (item.get('type') or '') | string | lower -%}
        {%- if kind not in ['numeric', 'categorical'] -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ label ~ " (" ~ name ~ "): type must be numeric or categorical, got '"
                ~ kind ~ "'") }}
        {%- endif -%}
        {%- set if_blank = (item.get('if_blank', 'reject') | string) -%}
        {%- if kind == 'numeric' and if_blank not in ['reject', 'zero'] -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ label ~ " (" ~ name ~ "): if_blank must be reject or zero, got '" ~ if_blank ~ "'") }}
        {%- endif -%}
        {%- set minimum = item.get('minimum', none) -%}
        {%- if minimum is not none and (kind != 'numeric' or minimum is string or minimum is boolean) -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ label ~ " (" ~ name ~ "): minimum must be a number, on a numeric attribute") }}
        {%- endif -%}
        {%- for key in item.keys() -%}
            {%- if key not in ['name', 'type', 'column', 'minimum', 'if_blank'] -%}
                {{ exceptions.raise_compiler_error(
                    "var " ~ label ~ " (" ~ name ~ "): unknown key '" ~ key
                    ~ "' (name, type, column, minimum, if_blank)") }}
            {%- endif -%}
        {%- endfor -%}
        {%- do names.append(name) -%}
        {%- do attributes.append({
            'name': name, 'type': kind, 'minimum': minimum, 'if_blank': if_blank,
            'column': checked_identifier(item.get('column') or name, label ~ '.column')}) -%}
    {%- endfor -%}
    {{ return(attributes) }}
{%- endmacro %}

{#- The declared attributes of one type ('numeric' or 'categorical'). -#}
{% macro customer_attributes_of_type(kind) -%}
    {{ return(customer_attributes() | selectattr('type', 'equalto', kind) | list) }}
{%- endmacro %}

{#- Where the rows came from, for input_source and messages. -#}
{% macro customer_input_label() -%}
    {%- set kind = customer_input_kind() -%}
    {%- if kind == 'file' -%}
        {{ return(input_setting('customers_path')) }}
    {%- elif kind == 'table' -%}
        {{ return('table ' ~ customer_source_relation()) }}
    {%- endif -%}
    {{ return('seed customer_segmentation_data') }}
{%- endmacro %}

{#- The source relation of a table input; its names are checked before dbt quotes them. -#}
{% macro customer_source_relation() -%}
    {%- do checked_identifier(input_setting('customers_table'), 'customers_table') -%}
    {%- for setting in ['customers_schema', 'customers_database'] -%}
        {%- if input_setting(setting) is not none -%}
            {%- do checked_identifier(input_setting(setting), setting) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do adapter.dispatch('check_customer_database', 'customer_segmentation')() -%}
    {{ return(source('customer_input', 'customers')) }}
{%- endmacro %}

{% macro default__check_customer_database() -%}
{%- endmacro %}

{#-
    Spark's "database" is what dbt calls the schema, and dbt-spark has no level above it (the
    source renders no database there): a customers_database other than the schema would be
    silently ignored, so it stops the build instead.
-#}
{% macro spark__check_customer_database() -%}
    {%- set database = input_setting('customers_database') -%}
    {%- set schema = input_setting('customers_schema') or target.schema -%}
    {%- if database is not none and database | lower != schema | lower -%}
        {{ exceptions.raise_compiler_error(
            "var customers_database ('" ~ database ~ "') is not used on Spark, where a database is a "
            ~ "schema and dbt-spark has no catalog level: name the table's database with "
            ~ "customers_schema instead (e.g. --vars '{customers_schema: " ~ database
            ~ ", customers_table: " ~ input_setting('customers_table') ~ "}') and unset "
            ~ "customers_database") }}
    {%- endif -%}
{%- endmacro %}

{#-
    on-run-start: attach the DuckDB file of var customers_attach read-only, under the name of
    var customers_database (default customer_input), so customers_table can live in it.
-#}
{% macro attach_customer_database() -%}
    {%- set path = input_setting('customers_attach') -%}
    {%- if path is none or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- if adapter.type() != 'duckdb' -%}
        {{ exceptions.raise_compiler_error("var customers_attach works on DuckDB only (it attaches a "
            ~ "DuckDB file); on " ~ adapter.type() ~ " name a table of the warehouse with "
            ~ ("customers_schema" if adapter.type() == 'spark' else "customers_database/customers_schema")
            ~ " and customers_table") }}
    {%- endif -%}
    {%- set alias = checked_identifier(input_setting('customers_database') or 'customer_input',
        'customers_database') -%}
    {%- set attached = run_query("select count(*) from duckdb_databases() where database_name = "
        ~ sql_literal(alias)).columns[0].values()[0] -%}
    {%- if attached == 0 -%}
        {%- if not file_exists(path) -%}
            {{ exceptions.raise_compiler_error(
                "var customers_attach: no DuckDB file at '" ~ path ~ "' (relative paths are read "
                ~ "from the project root)") }}
        {%- endif -%}
        {%- do run_query('attach ' ~ sql_literal(path) ~ ' as ' ~ quote_identifier(alias)
            ~ ' (read_only)') -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#-
    The input's column names (execute time only): the file's header, or the table's columns.
-#}
{% macro customer_input_columns(reader) -%}
    {%- if customer_input_kind() == 'file' -%}
        {{ return(run_query('describe select * from ' ~ reader).columns[0].values() | list) }}
    {%- endif -%}
    {{ return(adapter.get_columns_in_relation(reader) | map(attribute='name') | list) }}
{%- endmacro %}

{#-
    The input's column for `wanted` (matched case-insensitively), quoted; at parse time, when
    the columns are not known yet, the name as configured.
-#}
{% macro resolve_input_column(wanted, found, setting, label) -%}
    {%- if found is none -%}
        {{ return(quote_identifier(wanted)) }}
    {%- endif -%}
    {%- for column in found -%}
        {%- if column == wanted -%}
            {{ return(quote_identifier(column)) }}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in found -%}
        {%- if column | lower == wanted | lower -%}
            {{ return(quote_identifier(column)) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "customers input " ~ label ~ " has no column " ~ wanted | tojson ~ " (" ~ setting
        ~ "); its columns are: " ~ found | join(', ')
        ~ ". Map the column with --vars '{" ~ setting.split('.')[0] ~ ": ...}' (docs/your-data.md)."
        ~ (" The first line of a file must be a header naming its columns." if customer_input_kind() == 'file' else '')) }}
{%- endmacro %}

{#- Role or attribute name -> the input's quoted column, for every mapped role and attribute. -#}
{% macro resolve_customer_columns(columns, attributes, found, label) -%}
    {%- set read = {} -%}
    {%- for role, column in columns.items() if column is not none -%}
        {%- do read.update({role: resolve_input_column(column, found, 'customer_columns.' ~ role, label)}) -%}
    {%- endfor -%}
    {%- for attribute in attributes -%}
        {%- do read.update({attribute.name: resolve_input_column(
            attribute.column, found, 'customer_attributes', label)}) -%}
    {%- endfor -%}
    {{ return(read) }}
{%- endmacro %}

{#-
    The customer input, one row per input row, every mapped column as read (text for CSV and
    the seed, the warehouse's types otherwise):

        input_row, customer_id_raw, minutes_watched_raw, clv_raw, region_raw, channel_raw,
        <attribute>_raw..., input_source

    input_row is the 1-based position in the file or seed; a table has no order, so its rows
    are numbered in the order of their values, blanks last, the same on every adapter (give a
    key column to identify customers).
    customer_id_raw is null when no key column is mapped. Input-level problems (missing file,
    table or column, no data rows) stop the build with a message naming the input and column.
-#}
{% macro customers_input() -%}
    {%- set kind = customer_input_kind() -%}
    {%- set columns = customer_columns() -%}
    {%- set attributes = customer_attributes() -%}
    {%- set label = customer_input_label() -%}
    {%- if kind == 'file' -%}
        {{ return(adapter.dispatch('customers_file_input', 'customer_segmentation')(
            input_setting('customers_path'), columns, attributes)) }}
    {%- endif -%}
    {%- set relation = customer_source_relation() if kind == 'table'
        else ref('customer_segmentation_data') -%}
    {%- set found = none -%}
    {%- if execute -%}
        {%- if kind == 'table' and load_relation(relation) is none -%}
            {{ exceptions.raise_compiler_error(
                "customers input: table " ~ relation ~ " does not exist (vars customers_table, "
                ~ "customers_schema, customers_database" ~ (", customers_attach" if adapter.type() == 'duckdb' else '')
                ~ "); docs/your-data.md") }}
        {%- endif -%}
        {%- set found = customer_input_columns(relation) -%}
    {%- endif -%}
    {%- set read = resolve_customer_columns(columns, attributes, found, label) -%}
    {%- if kind == 'seed' -%}
        {%- set position = seed_row_position() -%}
    {%- else -%}
        {#- Nulls last, spelled out: DuckDB's default, while Spark puts them first. -#}
        {%- set position = 'row_number() over (order by ' ~ read.values() | join(' nulls last, ')
            ~ ' nulls last)' -%}
    {%- endif -%}
    select
        cast({{ position }} as bigint) as input_row,
        {{ customer_raw_columns(read, attributes, seed=(kind == 'seed')) }},
        {{ sql_literal(label) }} as input_source
    from {{ relation }}
{%- endmacro %}

{#- The raw select list shared by every input: each role and attribute as <name>_raw. -#}
{% macro customer_raw_columns(read, attributes, seed=false) -%}
    {%- set names = customer_roles() + attributes | map(attribute='name') | list -%}
    {%- for name in names -%}
        {%- if name not in read -%}
            cast(null as {{ dbt.type_string() }}) as {{ name }}_raw
        {%- elif seed -%}
            {{ seed_text(read[name]) }} as {{ name }}_raw
        {%- else -%}
            {{ read[name] }} as {{ name }}_raw
        {%- endif -%}
        {%- if not loop.last %},
        {% endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro default__customers_file_input(path, columns, attributes) -%}
    {{ exceptions.raise_compiler_error(
        "customers_path is only supported on DuckDB (it reads the file directly). On "
        ~ adapter.type() ~ " load '" ~ path ~ "' as a table and set var customers_table instead.") }}
{%- endmacro %}

{#- DuckDB reads the file in place: CSV (text, sniffed dialect, BOM and CRLF fine) or Parquet. -#}
{% macro duckdb__customers_file_input(path, columns, attributes) -%}
    {%- set reader = customers_file_reader(path) -%}
    {%- set found = none -%}
    {%- if execute -%}
        {%- do validate_customers_file(path, reader) -%}
        {%- set found = customer_input_columns(reader) -%}
    {%- endif -%}
    {%- set read = resolve_customer_columns(columns, attributes, found, "file '" ~ path ~ "'") -%}
    select
        ordinality as input_row,
        {{ customer_raw_columns(read, attributes) }},
        {{ sql_literal(path) }} as input_source
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
    {%- if customers_file_format(path) == 'parquet' -%}
        {{ return('read_parquet(' ~ sql_literal(path) ~ ')') }}
    {%- else -%}
        {#- all_varchar: every value arrives as text, so a bad value is quarantined with its reason
            instead of failing the type sniffer. The dialect (delimiter, quote, header) is
            sniffed: ',', ';', tab and '|' files all work. -#}
        {{ return('read_csv(' ~ sql_literal(path) ~ ', header = true, all_varchar = true' ~ options ~ ')') }}
    {%- endif -%}
{%- endmacro %}

{#- True when a file exists at `path` (DuckDB's glob, relative to the project root). -#}
{% macro file_exists(path) -%}
    {{ return(run_query('select count(*) from glob(' ~ sql_literal(path) ~ ')').columns[0].values()[0] > 0) }}
{%- endmacro %}

{#-
    File-level checks, run when the model executes: the file exists and is not empty, every row
    has as many fields as the header (CSV), and it has at least one data row. Each failure is
    one line naming the file and saying what to fix. Missing columns are found when the roles
    are resolved (resolve_input_column).
-#}
{% macro validate_customers_file(path, reader) -%}
    {%- if not file_exists(path) -%}
        {{ exceptions.raise_compiler_error(
            "customers file '" ~ path ~ "' does not exist: fix var customers_path (relative paths "
            ~ "are read from the project root)") }}
    {%- endif -%}
    {%- set size = run_query('select size from read_blob(' ~ sql_literal(path) ~ ')').columns[0].values()[0] -%}
    {%- if size == 0 -%}
        {{ exceptions.raise_compiler_error("customers file '" ~ path ~ "' is empty (0 bytes)") }}
    {%- endif -%}
    {%- if customers_file_format(path) == 'csv' -%}
        {%- do validate_customers_csv_rows(path) -%}
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
