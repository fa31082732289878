{#-
    The encoding of every candidate clustering feature, shared by int_customer_features_encoded
    (training) and score_customers (new customers) so both encode a customer the same way.

    Arguments are SQL expressions for a customer's cleaned values: minutes (double, blanks
    already 0), CLV (double), region and channel codes (integers) and the blank-minutes flag.
    Returns a list of [feature name, SQL expression] pairs in the order of available_features().
-#}
{% macro customer_feature_expressions(
        minutes_watched='minutes_watched',
        clv='clv',
        region_code='region_code',
        channel_code='channel_code',
        minutes_watched_was_blank='minutes_watched_was_blank') -%}
    {%- set expressions = [
        ['minutes_watched', minutes_watched],
        ['clv', clv],
        ['region_code', 'cast(' ~ region_code ~ ' as ' ~ type_double() ~ ')'],
        ['channel_code', 'cast(' ~ channel_code ~ ' as ' ~ type_double() ~ ')'],
        ['minutes_watched_log1p', 'ln(1 + ' ~ minutes_watched ~ ')'],
        ['minutes_watched_was_blank', indicator(minutes_watched_was_blank)],
    ] -%}
    {%- for code, slug in channel_codes().items() -%}
        {%- do expressions.append(['channel_' ~ slug,
            indicator(channel_code ~ ' = ' ~ code)]) -%}
    {%- endfor -%}
    {%- for code, slug in region_codes().items() -%}
        {%- do expressions.append(['region_' ~ slug,
            indicator(region_code ~ ' = ' ~ code)]) -%}
    {%- endfor -%}
    {{ return(expressions) }}
{%- endmacro %}

{#-
    The scaler (int_feature_scaler: one row per feature) as one row: <feature>_mean and
    <feature>_scale for each of `features`, then n_scaled_features. A select statement, for a
    CTE that standardised() reads.
-#}
{% macro scaler_as_one_row(scaler_relation, features) -%}
    select
        {%- for feature in features %}
        max(case when feature_name = '{{ feature }}' then feature_mean end) as {{ feature }}_mean,
        max(case when feature_name = '{{ feature }}' then feature_scale end) as {{ feature }}_scale,
        {%- endfor %}
        count(*) as n_scaled_features
    from {{ scaler_relation }}
{%- endmacro %}

{#-
    A feature's z-score, z = (x - mean) / scale: `encoded` names the relation holding the
    encoded features, `scaler` the one built by scaler_as_one_row. Training
    (int_customer_features_scaled) and SQL scoring (score_customers) both use these two macros,
    so a customer scored in SQL gets bit-for-bit the z-scores the clustering saw.
-#}
{% macro standardised(feature, encoded, scaler) -%}
    ({{ encoded }}.{{ feature }} - {{ scaler }}.{{ feature }}_mean) / {{ scaler }}.{{ feature }}_scale
{%- endmacro %}
