{#-
    The clustering features: which exist, which the `segmentation_features` var picks, how each
    is encoded, transformed, weighted and standardised. Training (int_customer_features_encoded,
    int_feature_scaler, int_customer_features_scaled) and SQL scoring (score_customers) use
    these macros alone, so a customer scored in SQL gets bit for bit the values the clustering
    saw.

    The code lists come from the code seeds (stg_regions, stg_channels), read when a model runs:
    one new seed line adds its one-hot feature everywhere. Categorical attributes get one
    feature per category found in the valid customers.
-#}

{#- The transforms a feature can take, and the largest number of categories one-hot encoded. -#}
{% macro feature_transforms() -%}
    {{ return(['none', 'log1p', 'winsorize']) }}
{%- endmacro %}

{% macro max_categories() -%}
    {{ return(50) }}
{%- endmacro %}

{#-
    [[code, slug], ...] of 'region' or 'channel' in code order, from the staged code seed. Read
    when the model runs (seeds load first in `dbt build`); empty while dbt parses.
-#}
{% macro code_list(name) -%}
    {%- set model = 'stg_regions' if name == 'region' else 'stg_channels' -%}
    {#- The ref makes every caller run after the seed; the rows are read from the built relation
        itself (in a unit test the ref is a fixture, the code list still the seed's). -#}
    {%- do ref(model) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set relation = built_relation(model, 'staging') -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error(
            "the code seed of " ~ name ~ " is not built yet (" ~ model ~ " does not exist): run "
            ~ "`dbt build` (or `dbt build --select +" ~ model ~ "` first)") }}
    {%- endif -%}
    {%- set rows = run_query('select ' ~ name ~ '_code, ' ~ name ~ '_slug from ' ~ relation
        ~ ' order by ' ~ name ~ '_code') -%}
    {%- set codes = [] -%}
    {%- for row in rows.rows -%}
        {%- if not modules.re.match('^[a-z0-9_]+$', row[1] | string) -%}
            {{ exceptions.raise_compiler_error(
                "seed " ~ name ~ "_codes: slug " ~ row[1] | string | tojson ~ " of code " ~ row[0]
                ~ " must be lower-case letters, digits and _ (it names the feature "
                ~ name ~ "_<slug>)") }}
        {%- endif -%}
        {%- do codes.append([row[0] | int, row[1] | string]) -%}
    {%- endfor -%}
    {{ return(codes) }}
{%- endmacro %}

{#-
    The relation a model of this project was built into, looked up without ref(): in a unit
    test ref() names a fixture, but the code lists must come from the built seeds. A unit test
    sees no graph, so the model's folder schema is used there (generate_schema_name).
-#}
{% macro built_relation(model, schema) -%}
    {%- set nodes = (graph.get('nodes') or {}).values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', model) | list -%}
    {%- if nodes -%}
        {{ return(adapter.get_relation(database=nodes[0].database, schema=nodes[0].schema,
            identifier=nodes[0].alias)) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database,
        schema=generate_schema_name(schema, none), identifier=model)) }}
{%- endmacro %}

{#- A text as a feature-name fragment: lower case, runs of other characters as _. -#}
{% macro feature_slug(text) -%}
    {{ return(modules.re.sub('[^a-z0-9]+', '_', text | string | lower).strip('_') or 'blank') }}
{%- endmacro %}

{#-
    [[value, slug], ...] of a categorical attribute, from the valid customers (read when the
    model runs; empty while dbt parses).
-#}
{% macro attribute_categories(attribute) -%}
    {%- do ref('int_customers_cleaned') -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set relation = built_relation('int_customers_cleaned', 'intermediate') -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error(
            "categorical attribute " ~ attribute.name ~ ": int_customers_cleaned is not built yet "
            ~ "(its categories are read from it): run `dbt build`") }}
    {%- endif -%}
    {%- set rows = run_query('select distinct ' ~ attribute.name ~ ' from ' ~ relation
        ~ ' where ' ~ attribute.name ~ ' is not null order by 1 limit ' ~ (max_categories() + 1)) -%}
    {%- if rows.rows | length > max_categories() -%}
        {{ exceptions.raise_compiler_error(
            "categorical attribute " ~ attribute.name ~ " has more than " ~ max_categories()
            ~ " distinct values: too many to one-hot encode. Group them in the input, or declare "
            ~ "it numeric.") }}
    {%- endif -%}
    {%- set categories = [] -%}
    {%- set slugs = [] -%}
    {%- for row in rows.rows -%}
        {%- set slug = feature_slug(row[0]) -%}
        {%- if slug in slugs -%}
            {{ exceptions.raise_compiler_error(
                "categorical attribute " ~ attribute.name ~ ": two values give the feature name "
                ~ attribute.name ~ "_" ~ slug ~ " (values differing only in case or punctuation); "
                ~ "make them one value in the input") }}
        {%- endif -%}
        {%- do slugs.append(slug) -%}
        {%- do categories.append([row[0] | string, slug]) -%}
    {%- endfor -%}
    {{ return(categories) }}
{%- endmacro %}

{#-
    Every candidate feature as [name, SQL expression over the columns of int_customers_cleaned
    (or score_customers' cleaned rows), group], in a fixed order. `group` is the token that
    stands for a one-hot family in the var (channel, region, a categorical attribute), else none.
-#}
{% macro customer_feature_expressions() -%}
    {%- set expressions = [
        ['minutes_watched', 'minutes_watched', none],
        ['clv', 'clv', none],
        ['region_code', 'cast(region_code as ' ~ type_double() ~ ')', none],
        ['channel_code', 'cast(channel_code as ' ~ type_double() ~ ')', none],
        ['minutes_watched_log1p', 'ln(1 + minutes_watched)', none],
        ['minutes_watched_was_blank', indicator('minutes_watched_was_blank'), none],
    ] -%}
    {%- for code, slug in code_list('channel') -%}
        {%- do expressions.append(['channel_' ~ slug, indicator('channel_code = ' ~ code), 'channel']) -%}
    {%- endfor -%}
    {%- for code, slug in code_list('region') -%}
        {%- do expressions.append(['region_' ~ slug, indicator('region_code = ' ~ code), 'region']) -%}
    {%- endfor -%}
    {%- for attribute in customer_attributes_of_type('numeric') -%}
        {%- do expressions.append([attribute.name,
            'cast(' ~ attribute.name ~ ' as ' ~ type_double() ~ ')', none]) -%}
    {%- endfor -%}
    {%- for attribute in customer_attributes_of_type('categorical') -%}
        {%- for value, slug in attribute_categories(attribute) -%}
            {%- do expressions.append([attribute.name ~ '_' ~ slug,
                indicator(attribute.name ~ ' = ' ~ sql_literal(value)), attribute.name]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set names = expressions | map('first') | list -%}
    {%- if names | unique | list | length != names | length -%}
        {{ exceptions.raise_compiler_error(
            "two features have the same name among " ~ names | join(', ')
            ~ ": rename a declared attribute or a seed slug") }}
    {%- endif -%}
    {{ return(expressions) }}
{%- endmacro %}

{#-
    [[name, SQL expression], ...] of the declared attributes' features (a numeric attribute, or
    one 0/1 column per category) that are not among `features`: profiled, not clustered on.
-#}
{% macro profiled_attribute_expressions(features) -%}
    {%- set numeric = customer_attributes_of_type('numeric') | map(attribute='name') | list -%}
    {%- set categorical = customer_attributes_of_type('categorical') | map(attribute='name') | list -%}
    {%- set profiled = [] -%}
    {%- for name, expression, group in customer_feature_expressions() -%}
        {%- if (name in numeric or group in categorical) and name not in features -%}
            {%- do profiled.append([name, expression]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(profiled) }}
{%- endmacro %}

{#- The one-hot feature names of the code seeds: channel_<slug> for every channel, then region_<slug>. -#}
{% macro one_hot_features() -%}
    {%- set features = [] -%}
    {%- for code, slug in code_list('channel') -%}
        {%- do features.append('channel_' ~ slug) -%}
    {%- endfor -%}
    {%- for code, slug in code_list('region') -%}
        {%- do features.append('region_' ~ slug) -%}
    {%- endfor -%}
    {{ return(features) }}
{%- endmacro %}

{#-
    The `segmentation_features` var, checked and expanded: a list of mappings
        {name, transform, quantile, weight, can_log}
    in the order the clustering sees them. An item is a feature name, a group token (channel,
    region, a categorical attribute: all its one-hot columns) or a mapping {name, transform,
    quantile, weight}. A bad value stops the build with one line saying what to fix. While dbt
    parses, the groups are not known yet and expand to nothing.
-#}
{% macro segmentation_feature_specs() -%}
    {%- set requested = var('segmentation_features') -%}
    {%- if requested is string -%}
        {%- set requested = requested.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {%- if requested is mapping -%}
        {{ exceptions.raise_compiler_error(
            "var segmentation_features must be a list, e.g. [minutes_watched, clv, channel]") }}
    {%- endif -%}
    {%- if requested | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "var segmentation_features is empty: list at least one feature, e.g. "
            ~ "[minutes_watched, clv, channel]") }}
    {%- endif -%}
    {%- set expressions = customer_feature_expressions() -%}
    {%- set groups = ['channel', 'region'] + customer_attributes_of_type('categorical') | map(attribute='name') | list -%}
    {%- set non_negative = ['minutes_watched', 'clv', 'minutes_watched_log1p'] -%}
    {%- for attribute in customer_attributes_of_type('numeric') if attribute.minimum is not none and attribute.minimum >= 0 -%}
        {%- do non_negative.append(attribute.name) -%}
    {%- endfor -%}
    {%- set specs = [] -%}
    {%- for item in requested -%}
        {%- set entry = item if item is mapping else {'name': item} -%}
        {%- set name = entry.get('name') | string -%}
        {%- for key in entry.keys() if key not in ['name', 'transform', 'quantile', 'weight'] -%}
            {{ exceptions.raise_compiler_error(
                "var segmentation_features: feature " ~ name ~ " has an unknown key '" ~ key
                ~ "' (name, transform, quantile, weight)") }}
        {%- endfor -%}
        {%- set transform = (entry.get('transform') or 'none') | string | lower -%}
        {%- if transform not in feature_transforms() -%}
            {{ exceptions.raise_compiler_error(
                "var segmentation_features: feature " ~ name ~ ": transform '" ~ transform
                ~ "' is not one of " ~ feature_transforms() | join(', ')) }}
        {%- endif -%}
        {%- set quantile = entry.get('quantile', 0.99 if transform == 'winsorize' else none) -%}
        {%- if transform == 'winsorize' and (quantile is string or quantile is boolean
                or not (0.5 < quantile < 1)) -%}
            {{ exceptions.raise_compiler_error(
                "var segmentation_features: feature " ~ name ~ ": winsorize quantile must be a "
                ~ "number between 0.5 and 1 (e.g. 0.99 clips both 1 % tails), got " ~ quantile) }}
        {%- endif -%}
        {%- if transform != 'winsorize' and entry.get('quantile') is not none -%}
            {{ exceptions.raise_compiler_error(
                "var segmentation_features: feature " ~ name ~ ": quantile goes with transform winsorize") }}
        {%- endif -%}
        {%- set weight = entry.get('weight', 1) -%}
        {%- if weight is string or weight is boolean or not (weight > 0) -%}
            {{ exceptions.raise_compiler_error(
                "var segmentation_features: feature " ~ name ~ ": weight must be a number above 0, got "
                ~ weight) }}
        {%- endif -%}
        {%- if name in groups -%}
            {%- set members = expressions | selectattr(2, 'equalto', name) | map('first') | list -%}
        {%- elif name in expressions | map('first') | list -%}
            {%- set members = [name] -%}
        {%- elif execute -%}
            {{ exceptions.raise_compiler_error(
                "var segmentation_features: unknown feature '" ~ name ~ "'; choose from "
                ~ (groups + expressions | map('first') | list) | join(', ')) }}
        {%- else -%}
            {%- set members = [] -%}
        {%- endif -%}
        {%- if transform == 'log1p' and (members | reject('in', non_negative) | list) -%}
            {{ exceptions.raise_compiler_error(
                "var segmentation_features: feature " ~ name ~ ": log1p needs values that cannot be "
                ~ "negative (minutes_watched, clv, or a numeric attribute declared with minimum >= 0)") }}
        {%- endif -%}
        {%- for member in members -%}
            {%- do specs.append({'name': member, 'transform': transform,
                'quantile': quantile, 'weight': weight}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set names = specs | map(attribute='name') | list -%}
    {%- if names | unique | list | length != names | length -%}
        {{ exceptions.raise_compiler_error(
            "var segmentation_features lists a feature twice: " ~ names | join(', ')) }}
    {%- endif -%}
    {{ return(specs) }}
{%- endmacro %}

{#- The names of the selected features, in order. -#}
{% macro segmentation_features() -%}
    {{ return(segmentation_feature_specs() | map(attribute='name') | list) }}
{%- endmacro %}

{#- A selected feature's value after its transform, before standardising. The winsorize
    bounds come from the scaler (`scaler` names the relation built by scaler_as_one_row). -#}
{% macro transformed(spec, encoded, scaler) -%}
    {%- set value = encoded ~ '.' ~ spec.name -%}
    {%- if spec.transform == 'log1p' -%}
        ln(1 + {{ value }})
    {%- elif spec.transform == 'winsorize' -%}
        least(greatest({{ value }}, {{ scaler }}.{{ spec.name }}_clip_lower), {{ scaler }}.{{ spec.name }}_clip_upper)
    {%- else -%}
        {{ value }}
    {%- endif -%}
{%- endmacro %}

{#-
    The scaler (int_feature_scaler: one row per feature) as one row: <feature>_mean,
    <feature>_scale, <feature>_weight, <feature>_clip_lower and <feature>_clip_upper for each
    of `features`, then n_scaled_features. A select statement, for a CTE that standardised()
    reads.
-#}
{% macro scaler_as_one_row(scaler_relation, features) -%}
    select
        {%- for feature in features %}
        max(case when feature_name = '{{ feature }}' then feature_mean end) as {{ feature }}_mean,
        max(case when feature_name = '{{ feature }}' then feature_scale end) as {{ feature }}_scale,
        max(case when feature_name = '{{ feature }}' then feature_weight end) as {{ feature }}_weight,
        max(case when feature_name = '{{ feature }}' then clip_lower end) as {{ feature }}_clip_lower,
        max(case when feature_name = '{{ feature }}' then clip_upper end) as {{ feature }}_clip_upper,
        {%- endfor %}
        count(*) as n_scaled_features
    from {{ scaler_relation }}
{%- endmacro %}

{#-
    A selected feature's clustering value, z = weight * (transformed x - mean) / scale:
    `encoded` names the relation holding the encoded features, `scaler` the one built by
    scaler_as_one_row. With weight 1 and no transform this is exactly (x - mean) / scale.
-#}
{% macro standardised(spec, encoded, scaler) -%}
    {%- set z = '(' ~ transformed(spec, encoded, scaler) ~ ' - ' ~ scaler ~ '.' ~ spec.name ~ '_mean) / '
        ~ scaler ~ '.' ~ spec.name ~ '_scale' -%}
    {%- if spec.weight == 1 -%}
        {{ z }}
    {%- else -%}
        {{ z }} * {{ scaler }}.{{ spec.name }}_weight
    {%- endif -%}
{%- endmacro %}
