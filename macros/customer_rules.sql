{#-
    The one definition of a valid customer row, used by stg_customers (the build's input) and by
    score_customers (customers scored in SQL) alike.

    customer_row_rules(relation, key) reads a relation with the raw columns of base_customers
    (input_row, customer_id_raw, minutes_watched_raw, clv_raw, region_raw, channel_raw,
    <attribute>_raw..., input_source) and returns a subquery with one row per input row:

        input_row, customer_id, minutes_watched, minutes_watched_was_blank, clv, region_code,
        channel_code, <attribute>..., rejection_reason, rejection_rule, is_valid,
        customer_id_raw, minutes_watched_raw, clv_raw, region_raw, channel_raw,
        <attribute>_raw..., input_source

    `key` says what customer_id is: 'position' (no key column: input_row), 'typed' (the mapped
    key, as var customer_id_type says) or 'as_is' (the key column as it comes, for scoring).
    Region and channel values match the code seeds by code, name or slug (trimmed,
    case-insensitive). Nothing is dropped: rejection_reason lists every broken rule ('; '),
    rejection_rule names the first, is_valid is true when there is none.
-#}

{#-
    Largest minutes_watched, CLV or numeric attribute accepted. Above 1e15 a double no longer
    holds amounts to the cent, so such a value is a unit or export error, and the exact
    (order-independent) sums of macros/cross_database.sql stay far from overflowing.
-#}
{% macro max_customer_value() -%}
    {{ return('1e15') }}
{%- endmacro %}

{#- The numeric columns every row has, with their rules: label in messages, minimum, blanks. -#}
{% macro customer_numeric_columns() -%}
    {%- set columns = [
        {'name': 'minutes_watched', 'label': 'minutes_watched', 'minimum': 0, 'if_blank': 'zero'},
        {'name': 'clv', 'label': 'CLV', 'minimum': 0, 'if_blank': 'reject'},
    ] -%}
    {%- for attribute in customer_attributes_of_type('numeric') -%}
        {%- do columns.append({'name': attribute.name, 'label': attribute.name,
            'minimum': attribute.minimum, 'if_blank': attribute.if_blank}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- The code seeds the coded columns are matched against. -#}
{% macro customer_coded_columns() -%}
    {{ return([
        {'name': 'region', 'seed': 'region_codes', 'lookup': 'stg_regions'},
        {'name': 'channel', 'seed': 'channel_codes', 'lookup': 'stg_channels'},
    ]) }}
{%- endmacro %}

{#- The rules of one numeric column: [rule id, condition, message] triples, in order. -#}
{% macro numeric_value_rules(column) -%}
    {%- set name, label = column.name, column.label -%}
    {%- set value, text = name ~ '_value', name ~ '_text' -%}
    {%- set rules = [] -%}
    {%- if column.if_blank == 'reject' -%}
        {%- do rules.append([name ~ '_blank', name ~ '_is_blank', "'" ~ label ~ " is blank'"]) -%}
    {%- endif -%}
    {%- do rules.append([name ~ '_not_a_number', 'not ' ~ name ~ '_is_blank and ' ~ value ~ ' is null',
        dbt.concat(["'" ~ label ~ " is not a number: '", text])]) -%}
    {%- do rules.append([name ~ '_not_finite', 'not ' ~ is_finite(value),
        dbt.concat(["'" ~ label ~ " is not finite: '", text])]) -%}
    {%- if column.minimum is not none -%}
        {%- set below = "is negative" if column.minimum == 0 else "is below its minimum " ~ column.minimum -%}
        {%- do rules.append([name ~ '_below_minimum', value ~ ' < ' ~ column.minimum,
            dbt.concat(["'" ~ label ~ " " ~ below ~ ": '", text])]) -%}
    {%- endif -%}
    {%- do rules.append([name ~ '_too_large', value ~ ' > ' ~ max_customer_value() ~ ' and ' ~ is_finite(value),
        dbt.concat(["'" ~ label ~ " is above " ~ max_customer_value() ~ ": '", text])]) -%}
    {{ return(rules) }}
{%- endmacro %}

{#- Every rule of a row, in the order its reasons are listed. -#}
{% macro customer_row_rule_list(key) -%}
    {%- set rules = [] -%}
    {%- if key != 'position' -%}
        {%- do rules.append(['customer_id_blank', 'customer_id_text is null', "'customer_id is blank'"]) -%}
        {%- if key == 'typed' and customer_id_type() == 'integer' -%}
            {%- do rules.append(['customer_id_not_an_integer',
                'customer_id_text is not null and customer_id_integer is null',
                dbt.concat(["'customer_id is not an integer: '", 'customer_id_text'])]) -%}
        {%- endif -%}
        {%- do rules.append(['customer_id_repeated', 'key_repeats.other_rows is not null',
            dbt.concat([sql_literal("customer_id '"), "customer_id_text",
                sql_literal("' is also on input row(s) "), 'key_repeats.other_rows'])]) -%}
    {%- endif -%}
    {%- for column in customer_numeric_columns() -%}
        {%- do rules.extend(numeric_value_rules(column)) -%}
    {%- endfor -%}
    {%- for coded in customer_coded_columns() -%}
        {%- set name = coded.name -%}
        {%- do rules.append([name ~ '_blank', name ~ '_text is null', "'" ~ name ~ " is blank'"]) -%}
        {%- do rules.append([name ~ '_unknown', name ~ '_text is not null and ' ~ name ~ '_lookup.code is null',
            dbt.concat([sql_literal(name ~ " '"), name ~ '_text', sql_literal("' is not a code, name or slug of seed "
                ~ coded.seed ~ " (add a line to seeds/" ~ coded.seed ~ ".csv)")])]) -%}
    {%- endfor -%}
    {%- for attribute in customer_attributes_of_type('categorical') -%}
        {%- if attribute.if_blank == 'reject' -%}
            {%- do rules.append([attribute.name ~ '_blank', attribute.name ~ '_text is null',
                "'" ~ attribute.name ~ " is blank'"]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#-
    A code seed's lookup: every code, name and slug (lower case) with its code. A value that
    two lines claim goes to the lower code; the test assert_code_seeds_are_unambiguous fails then.
-#}
{% macro code_lookup(lookup_relation, name) -%}
    select
        match_text,
        min(code) as code
    from ({{ code_lookup_candidates(lookup_relation, name) }}) as matches
    group by match_text
{%- endmacro %}

{#- Every text that matches a line of a code seed: its code, name and slug (lower case). -#}
{% macro code_lookup_candidates(lookup_relation, name) -%}
    select
        {{ name }}_code as code,
        {{ as_text(name ~ '_code') }} as match_text
    from {{ lookup_relation }}
    union all
    select
        {{ name }}_code as code,
        lower(trim({{ name }}_name)) as match_text
    from {{ lookup_relation }}
    union all
    select
        {{ name }}_code as code,
        lower(trim({{ name }}_slug)) as match_text
    from {{ lookup_relation }}
{%- endmacro %}

{#- The text a coded input value is matched on: a whole number as its digits, else lower case. -#}
{% macro code_match_text(name) -%}
    case
        when {{ name }}_value = floor({{ name }}_value) and abs({{ name }}_value) < {{ max_customer_value() }}
            then {{ as_text('cast(' ~ name ~ '_value as bigint)') }}
        else lower({{ name }}_text)
    end
{%- endmacro %}

{% macro customer_row_rules(relation, key='typed') -%}
    {%- set rules = customer_row_rule_list(key) -%}
    {%- set numeric = customer_numeric_columns() -%}
    {%- set categorical = customer_attributes_of_type('categorical') -%}
    {%- set coded = customer_coded_columns() -%}
    {%- set text_columns = ['customer_id'] + numeric | map(attribute='name') | list
        + coded | map(attribute='name') | list + categorical | map(attribute='name') | list -%}
(
    with rows_parsed as (

        {#- Blank test and number come straight from the raw value (no text round trip for
            Parquet numbers); the text is only needed for messages and the quarantine. -#}
        select
            input_row,
            input_source,
            customer_id_raw as customer_id_as_given,
            {%- for name in text_columns %}
            nullif(trim({{ as_text(name ~ '_raw') }}), '') as {{ name }}_text,
            {%- endfor %}
            {%- for name in numeric | map(attribute='name') | list + coded | map(attribute='name') | list %}
            {{ raw_is_blank(name ~ '_raw') }} as {{ name }}_is_blank,
            {{ parse_raw_double(name ~ '_raw') }} as {{ name }}_value,
            {%- endfor %}
            {{ parse_integer('nullif(trim(' ~ as_text('customer_id_raw') ~ "), '')") }} as customer_id_integer
        from {{ relation }}

    ),

    {%- for column in coded %}

    {{ column.name }}_lookup as (

        {{ code_lookup(ref(column.lookup), column.name) }}

    ),
    {%- endfor %}

    {%- if key != 'position' %}

    {#- Each repeated key with the first rows it is on, to name them in the reason. -#}
    key_rows as (

        select
            {{ customer_key_text(key) }} as key_text,
            input_row,
            count(*) over (partition by {{ customer_key_text(key) }}) as key_count,
            row_number() over (partition by {{ customer_key_text(key) }} order by input_row) as key_rank
        from rows_parsed
        where customer_id_text is not null

    ),

    key_repeats as (

        select
            repeated.input_row,
            {{ dbt.concat([
                ordered_list(as_text('shown.input_row'), 'shown.input_row'),
                "case when max(repeated.key_count) - 1 > count(*) then "
                    ~ dbt.concat(["' and '", as_text('max(repeated.key_count) - 1 - count(*)'), "' more'"])
                    ~ " else '' end"]) }} as other_rows
        from key_rows as repeated
        inner join key_rows as shown
            on repeated.key_text = shown.key_text
            and shown.input_row != repeated.input_row
            and shown.key_rank <= 6
        where repeated.key_count > 1
        group by repeated.input_row

    ),
    {%- endif %}

    rows_checked as (

        select
            rows_parsed.*,
            {%- for column in coded %}
            {{ column.name }}_lookup.code as {{ column.name }}_code,
            {%- endfor %}
            {%- if key != 'position' %}
            key_repeats.other_rows,
            {%- endif %}
            {{ join_non_null(customer_rule_messages(rules)) }} as rejection_reason,
            case
                {%- for rule in rules %}
                when {{ rule[1] }} then '{{ rule[0] }}'
                {%- endfor %}
            end as rejection_rule
        from rows_parsed
        {%- for column in coded %}
        left join {{ column.name }}_lookup
            on {{ code_match_text(column.name) }} = {{ column.name }}_lookup.match_text
        {%- endfor %}
        {%- if key != 'position' %}
        left join key_repeats on rows_parsed.input_row = key_repeats.input_row
        {%- endif %}

    )

    select
        input_row,
        {%- if key == 'position' %}
        input_row as customer_id,
        {%- elif key == 'typed' and customer_id_type() == 'integer' %}
        customer_id_integer as customer_id,
        {%- elif key == 'as_is' %}
        customer_id_as_given as customer_id,
        {%- else %}
        customer_id_text as customer_id,
        {%- endif %}
        coalesce(minutes_watched_value, 0) as minutes_watched,
        minutes_watched_is_blank as minutes_watched_was_blank,
        clv_value as clv,
        {%- for column in coded %}
        cast({{ column.name }}_code as integer) as {{ column.name }}_code,
        {%- endfor %}
        {%- for column in numeric[2:] %}
        {%- if column.if_blank == 'zero' %}
        coalesce({{ column.name }}_value, 0) as {{ column.name }},
        {%- else %}
        {{ column.name }}_value as {{ column.name }},
        {%- endif %}
        {%- endfor %}
        {%- for attribute in categorical %}
        {%- if attribute.if_blank == 'reject' %}
        {{ attribute.name }}_text as {{ attribute.name }},
        {%- else %}
        coalesce({{ attribute.name }}_text, {{ sql_literal(attribute.if_blank) }}) as {{ attribute.name }},
        {%- endif %}
        {%- endfor %}
        rejection_reason,
        rejection_rule,
        rejection_reason is null as is_valid,
        {%- for name in text_columns %}
        {{ name }}_text as {{ name }}_raw,
        {%- endfor %}
        input_source
    from rows_checked
) as checked_customer_rows
{%- endmacro %}

{#- The reasons of the broken rules, as SQL expressions for join_non_null. -#}
{% macro customer_rule_messages(rules) -%}
    {%- set messages = [] -%}
    {%- for rule in rules -%}
        {%- do messages.append('case when ' ~ rule[1] ~ ' then ' ~ rule[2] ~ ' end') -%}
    {%- endfor -%}
    {{ return(messages) }}
{%- endmacro %}

{#- The text a key is compared on for repeats: integers by value ('007' = '7'), text as is. -#}
{% macro customer_key_text(key) -%}
    {%- if key == 'typed' and customer_id_type() == 'integer' -%}
        coalesce({{ as_text('customer_id_integer') }}, customer_id_text)
    {%- else -%}
        customer_id_text
    {%- endif -%}
{%- endmacro %}
