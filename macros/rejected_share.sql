{#-
    The quarantine's ceiling. When more than var max_rejected_share of the input rows break a
    rule, the build stops (raised while int_customers_cleaned compiles, so nothing downstream
    runs and nothing is published) with one message: the counts, the three commonest reasons
    (a row's first broken rule) with an example each, and the var to raise. An input whose rows
    are all rejected says so.
-#}
{% macro max_rejected_share() -%}
    {%- set value = var('max_rejected_share', 0.05) -%}
    {%- if value is string or value is boolean or value is none or not (0 <= value <= 1) -%}
        {{ exceptions.raise_compiler_error(
            "var max_rejected_share: expected a share between 0 and 1 (0.05 = 5 %), got " ~ value) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro check_rejected_share(staged_relation) -%}
    {%- set ceiling = max_rejected_share() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set counts = run_query(
        'select count(*), sum(case when is_valid then 0 else 1 end) from ' ~ staged_relation).rows[0] -%}
    {%- set total, rejected = counts[0] | int, (counts[1] or 0) | int -%}
    {%- if total == 0 -%}
        {{ exceptions.raise_compiler_error(
            "customers input " ~ customer_input_label() ~ " has no rows: there is nothing to segment") }}
    {%- endif -%}
    {%- if rejected < total and rejected <= ceiling * total -%}
        {{ return('') }}
    {%- endif -%}
    {%- set reasons = run_query(
        'select rejection_rule, count(*) as n_rows, min(rejection_reason) as example from '
        ~ staged_relation ~ ' where not is_valid group by rejection_rule order by n_rows desc, '
        ~ 'rejection_rule limit 3') -%}
    {%- set listed = [] -%}
    {%- for row in reasons.rows -%}
        {%- do listed.append('"' ~ row[2] ~ '" (' ~ '{:,}'.format(row[1] | int) ~ ' rows)') -%}
    {%- endfor -%}
    {%- set source = customer_input_label() -%}
    {%- if rejected == total -%}
        {%- set headline = "every one of the " ~ '{:,}'.format(total) ~ " rows of customers input "
            ~ source ~ " was rejected, so there is nothing to segment" -%}
    {%- else -%}
        {%- set headline = '{:,}'.format(rejected) ~ " of " ~ '{:,}'.format(total) ~ " rows ("
            ~ '{:.1f}'.format(100.0 * rejected / total) ~ " %) of customers input " ~ source
            ~ " were rejected, more than max_rejected_share = " ~ ceiling -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        headline ~ ". Commonest reasons (first broken rule, with an example): "
        ~ listed | join('; ') ~ ". Every rejected row is in stg_customers (rejection_reason). "
        ~ "Fix the input, its column mapping (var customer_columns) or the code seeds, or raise "
        ~ "var max_rejected_share (e.g. --vars '{max_rejected_share: 0.5}').") }}
{%- endmacro %}
