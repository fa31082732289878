{#-
    Segments over time (docs/over-time.md): the kept tables (model versions, their
    centres, scalers, segments and feature bins, the lineage, the membership history and the
    drift per snapshot) are incremental models that dbt never rebuilds from scratch
    (full_refresh: false), so a failed, killed or `--full-refresh` build cannot lose them.
    `--vars '{drop_segmentation_history: true}'` is the one way to start them afresh.
-#}

{#- True when the user asked to drop the kept history (var drop_segmentation_history). A value
    that is not true/false is not read as true here; the model int_segmentation_run stops the build
    with a message naming the var before any kept table is written. -#}
{% macro drop_segmentation_history() -%}
    {%- set value = var('drop_segmentation_history', false) -%}
    {{ return((value | string | trim | lower) in ['true', '1', 'yes']) }}
{%- endmacro %}

{#- Incremental strategy of the kept tables: delete+insert by key on DuckDB (replace the rows of
    a snapshot or a version, keep the rest); Spark's Parquet tables have no delete, there a
    partition per key is overwritten (insert_overwrite), which is the same thing. -#}
{% macro kept_strategy() -%}
    {{ return('insert_overwrite' if target.type == 'spark' else 'delete+insert') }}
{%- endmacro %}

{% macro kept_partition(key) -%}
    {{ return([key] if target.type == 'spark' else none) }}
{%- endmacro %}

{#-
    The kept relation of model `name` as it is in the warehouse now, or none (not built yet,
    while dbt parses, or when drop_segmentation_history is set). Read through this, not ref():
    the models that read the previous state run before the kept tables are appended in the same
    build, and a ref would close a cycle (a new version depends on the previous one).
-#}
{% macro stored_relation(name) -%}
    {%- if not execute or drop_segmentation_history() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ name] -%}
    {{ return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}

{#- True when a ref'd relation is in the warehouse (it is not while sqlfluff renders). -#}
{% macro relation_exists(relation) -%}
    {{ return(adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier)
        is not none) }}
{%- endmacro %}

{#- Column names of a relation, lower case (for selecting what an older kept table has);
    `default` when it is not built (while dbt parses or sqlfluff renders). -#}
{% macro relation_column_names(relation, default=[]) -%}
    {%- if not execute or not relation_exists(relation) -%}
        {{ return(default) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#-
    The columns of each kept table (name, type): the one definition of their shape. The kept
    models cast to it, and the models reading the previous state select it (or an empty table
    of it when nothing is kept yet). The customer key keeps the input's own type.
-#}
{% macro kept_columns(name) -%}
    {%- set columns = {
        'mart_model_versions': [
            ['model_version', 'bigint'], ['fitted_at', 'timestamp'], ['snapshot_date', 'date'],
            ['dbt_invocation_id', dbt.type_string()], ['fit_reason', dbt.type_string()],
            ['input_source', dbt.type_string()], ['input_rows', 'bigint'],
            ['input_fingerprint', dbt.type_string()], ['config_fingerprint', dbt.type_string()],
            ['features', dbt.type_string()], ['feature_settings', dbt.type_string()],
            ['scaler', dbt.type_string()], ['n_segments', 'bigint'],
            ['n_segments_setting', dbt.type_string()], ['inertia', type_double()],
            ['n_starts', 'bigint'], ['n_starts_at_best', 'bigint'],
            ['search_strategy', dbt.type_string()], ['random_state', 'bigint'],
            ['previous_model_version', 'bigint'], ['segments_kept', 'bigint'],
            ['segments_new', 'bigint'], ['segments_retired', 'bigint'],
        ],
        'mart_model_centres': [
            ['model_version', 'bigint'], ['segmentation_method', dbt.type_string()],
            ['segment_id', 'bigint'], ['feature_position', 'bigint'],
            ['feature_name', dbt.type_string()], ['center_standardised', type_double()],
        ],
        'mart_model_segments': [
            ['model_version', 'bigint'], ['segmentation_method', dbt.type_string()],
            ['segment_id', 'bigint'], ['segment_name', dbt.type_string()],
            ['naming_rule', dbt.type_string()], ['training_customers', 'bigint'],
            ['training_share', type_double()], ['training_mean_distance', type_double()],
            ['outlier_distance', type_double()], ['outlier_quantile', type_double()],
            ['lineage_status', dbt.type_string()],
        ],
        'mart_model_feature_bins': [
            ['model_version', 'bigint'], ['feature_position', 'bigint'],
            ['feature_name', dbt.type_string()], ['bin_index', 'bigint'],
            ['lower_edge', type_double()], ['upper_edge', type_double()],
            ['training_customers', 'bigint'], ['training_share', type_double()],
            ['training_mean', type_double()], ['training_std', type_double()],
        ],
        'mart_segment_lineage': [
            ['model_version', 'bigint'], ['previous_model_version', 'bigint'],
            ['previous_segment_id', 'bigint'], ['previous_segment_name', dbt.type_string()],
            ['segment_id', 'bigint'], ['segment_name', dbt.type_string()],
            ['status', dbt.type_string()], ['is_matched', 'boolean'],
            ['shared_customers', 'bigint'], ['share_of_previous', type_double()],
            ['share_of_new', type_double()], ['jaccard', type_double()],
            ['center_distance', type_double()],
        ],
    } -%}
    {{ return(columns[name]) }}
{%- endmacro %}

{#- `cast(<expression> as <type>) as <name>` for every kept column; `expressions` maps a
    column to its SQL (default: the column of `source`). -#}
{% macro kept_select_list(name, source, expressions={}) -%}
    {%- for column, type in kept_columns(name) %}
    cast({{ expressions.get(column, source ~ '.' ~ column) }} as {{ type }}) as {{ column }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The previous state of kept table `name`: every stored row, or no rows of its shape. -#}
{% macro stored_rows(name) -%}
    {%- set stored = stored_relation(name) -%}
    {%- if stored is none %}
    select
        {%- for column, type in kept_columns(name) %}
        cast(null as {{ type }}) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    where 1 = 0
    {%- else %}
    select {{ kept_select_list(name, 'kept') }}
    from {{ stored }} as kept
    {%- endif %}
{%- endmacro %}

{#-
    One row: the input's row count and an order-independent fingerprint of the rows (key and
    the given columns). DuckDB's hash and Spark's xxhash64 differ, so a fingerprint is only
    comparable within one warehouse.
-#}
{% macro input_fingerprint(relation, columns) -%}
    {{ return(adapter.dispatch('input_fingerprint', 'customer_segmentation')(relation, columns)) }}
{%- endmacro %}

{% macro default__input_fingerprint(relation, columns) -%}
    select
        count(*) as input_rows,
        cast(sum(cast(hash({{ columns | join(', ') }}) as hugeint)) as {{ dbt.type_string() }})
            as input_hash
    from {{ relation }}
{%- endmacro %}

{% macro spark__input_fingerprint(relation, columns) -%}
    select
        count(*) as input_rows,
        cast(sum(cast(xxhash64({{ columns | join(', ') }}) as decimal(38, 0))) as string)
            as input_hash
    from {{ relation }}
{%- endmacro %}

{#- A quantile of an expression, as an aggregate (exact, interpolating). -#}
{% macro quantile(expression, fraction) -%}
    {{ return(adapter.dispatch('quantile', 'customer_segmentation')(expression, fraction)) }}
{%- endmacro %}

{% macro default__quantile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__quantile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__quantile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- The one row of a small model as a dict (lower-case keys), or {} while dbt parses. -#}
{% macro one_row(relation) -%}
    {%- if not execute or not relation_exists(relation) -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set result = run_query('select * from ' ~ relation) -%}
    {%- if result.rows | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            relation ~ " must have exactly one row, got " ~ result.rows | length) }}
    {%- endif -%}
    {%- set row = {} -%}
    {%- for name in result.column_names -%}
        {%- do row.update({name | lower: result.rows[0][loop.index0]}) -%}
    {%- endfor -%}
    {{ return(row) }}
{%- endmacro %}

{#- Segment ids of a centres table (column `id_column`), in order; 1..k while dbt parses. -#}
{% macro segment_ids_of(relation, id_column, where='1 = 1', parse_count=8) -%}
    {%- if not execute or not relation_exists(relation) -%}
        {{ return(range(1, parse_count + 1) | list) }}
    {%- endif -%}
    {%- set result = run_query(
        'select distinct ' ~ id_column ~ ' from ' ~ relation ~ ' where ' ~ where
        ~ ' order by 1') -%}
    {%- set ids = [] -%}
    {%- for row in result.rows -%}
        {%- do ids.append(row[0] | int) -%}
    {%- endfor -%}
    {{ return(ids) }}
{%- endmacro %}

{#-
    Squared distance from the scaled features of `scaled` to centre `prefix`<id>, summed
    feature by feature left to right like customer_segmentation.kmeans.assign_nearest, so the
    nearest centre and its distance are the Python ones to the last bit.
-#}
{% macro squared_distance(scaled, centers, center_prefix, features) -%}
    {%- for feature in features -%}
        {{ ' + ' if not loop.first }}({{ scaled }}.{{ feature }} - {{ centers }}.{{ center_prefix }}_{{ feature }})
        * ({{ scaled }}.{{ feature }} - {{ centers }}.{{ center_prefix }}_{{ feature }})
    {%- endfor -%}
{%- endmacro %}

{#- The id of the first of `ids` whose distance column <prefix><id> equals `value` (ties: the
    lowest id), leaving out `excluded` (an expression holding an id, or none). -#}
{% macro id_at_distance(ids, prefix, value, excluded=none) -%}
    case
        {%- for id in ids %}
        when {{ prefix }}{{ id }} = {{ value }}
            {%- if excluded is not none %} and {{ excluded }} <> {{ id }}{% endif %} then {{ id }}
        {%- endfor %}
    end
{%- endmacro %}

{#- The columns int_feature_scaler has (what a version's scaler keeps). -#}
{% macro scaler_column_names() -%}
    {{ return(relation_column_names(ref('int_feature_scaler'),
        ['feature_position', 'feature_name', 'feature_mean', 'feature_std', 'feature_scale',
         'feature_transform', 'transform_quantile', 'clip_lower', 'clip_upper',
         'feature_weight'])) }}
{%- endmacro %}

{#- One JSON object per row holding the given columns of `alias` (a version's feature settings). -#}
{% macro row_json(alias, columns) -%}
    {{ return(adapter.dispatch('row_json', 'customer_segmentation')(alias, columns)) }}
{%- endmacro %}

{% macro default__row_json(alias, columns) -%}
    cast(to_json({ {%- for column in columns %}'{{ column }}': {{ alias }}.{{ column }}
        {%- if not loop.last %}, {% endif %}{% endfor -%} }) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__row_json(alias, columns) -%}
    to_json(named_struct({%- for column in columns %}'{{ column }}', {{ alias }}.{{ column }}
        {%- if not loop.last %}, {% endif %}{% endfor -%}))
{%- endmacro %}

{#- The snapshot this build writes, as a date literal. -#}
{% macro snapshot_date_literal() -%}
    cast('{{ snapshot_date() }}' as date)
{%- endmacro %}

{#- The select list pivoting int_kmeans_fit's rows into one row: k<id>_<feature> per segment. -#}
{% macro kmeans_centre_columns(ids, features) -%}
    {%- for id in ids %}{% set last_id = loop.last %}{% for feature in features %}
        max(case when kmeans_segment_id = {{ id }} then center_{{ feature }} end)
            as k{{ id }}_{{ feature }}{{ ',' if not (last_id and loop.last) }}
    {%- endfor %}{% endfor %}
{%- endmacro %}

{#- The select list pivoting a version's kept Ward centres into one row: w<id>_<feature>
    (one count column when there are none). -#}
{% macro ward_centre_columns(ids, features) -%}
    {%- for id in ids %}{% for feature in features %}
        max(case when segment_id = {{ id }} and feature_name = '{{ feature }}'
            then center_standardised end) as w{{ id }}_{{ feature }},
    {%- endfor %}{% endfor %}
        count(*) as ward_centre_values
{%- endmacro %}

{#- kd<id> (and wd<id>) squared distances of every customer to every centre. -#}
{% macro centre_distance_columns(kmeans_ids, ward_ids, features) -%}
    {%- for id in kmeans_ids %}
        {{ squared_distance('scaled', 'kmeans_centers', 'k' ~ id, features) }} as kd{{ id }}
        {{- ',' if not loop.last or ward_ids }}
    {%- endfor %}
    {%- for id in ward_ids %}
        {{ squared_distance('scaled', 'ward_centers', 'w' ~ id, features) }} as wd{{ id }}
        {{- ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The second smallest of the kd<id> distances: the nearest one's id left out. -#}
{% macro second_nearest_distance(ids, nearest) -%}
    {%- if ids | length < 2 -%}
        cast(null as {{ type_double() }})
    {%- else -%}
        case {{ nearest }}
        {%- for id in ids %}
            when {{ id }} then least(
                {%- for other in ids if other != id %}kd{{ other }}{{ ', ' if not loop.last }}{% endfor -%}
            )
        {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}

{#- The config of every kept table (call it at the top of the model): incremental, never
    rebuilt by dbt unless drop_segmentation_history is set, a build replacing its own key's
    rows (a snapshot or a model version), new columns appended. -#}
{% macro kept_table(unique_key) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy=kept_strategy(),
        unique_key=unique_key,
        partition_by=kept_partition(unique_key),
        full_refresh=drop_segmentation_history(),
        on_schema_change='append_new_columns'
    ) }}
{%- endmacro %}

{#- The rows of `source` for kept table `name`, stamped with this build's model version, when
    the build makes a new version (none otherwise). -#}
{% macro new_version_rows(name, source) -%}
    select
        {{- kept_select_list(name, 'version_rows', {'model_version': 'model_version.model_version'}) }}
    from {{ source }} as version_rows
    cross join {{ ref('int_model_version') }} as model_version
    where model_version.is_new_version
{%- endmacro %}

{#- '<feature in words> 2.3 sd above' (or below) for a customer's deviation from its centre. -#}
{% macro deviation_phrase(words, deviation) -%}
    case when {{ deviation }} is not null then concat(
        {{ words }}, ' ', {{ format_number('abs(' ~ deviation ~ ')', 1) }}, ' sd ',
        case when {{ deviation }} >= 0 then 'above' else 'below' end
    ) end
{%- endmacro %}

{#-
    The kept tables were renamed to the mart convention (docs/renames.md). A warehouse built
    before the rename holds its history under the old names: before anything runs (on-run-start),
    each old kept table is renamed to its new name when the new one does not exist yet, so an
    upgrade keeps every model version and snapshot. A no-op once renamed, and on a new warehouse.
-#}
{% macro rename_kept_tables() -%}
    {%- if not execute or drop_segmentation_history() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set renames = {
        'segmentation_model_versions': 'mart_model_versions',
        'segmentation_model_centres': 'mart_model_centres',
        'segmentation_model_scalers': 'mart_model_scalers',
        'segmentation_model_segments': 'mart_model_segments',
        'segmentation_model_feature_bins': 'mart_model_feature_bins',
        'segment_lineage': 'mart_segment_lineage',
        'customer_segment_history': 'mart_customer_segment_history',
    } -%}
    {%- set renamed = [] -%}
    {%- for old_name, new_name in renames.items() -%}
        {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ new_name] -%}
        {%- set old = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=old_name) -%}
        {%- if old is not none and old.is_table and adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.alias) is none -%}
            {%- do log('kept table ' ~ old ~ ' renamed to ' ~ node.alias
                ~ ' (docs/renames.md)', info=true) -%}
            {%- do adapter.rename_relation(old, old.incorporate(path={'identifier': node.alias})) -%}
            {%- do renamed.append(old_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- The hook's connection is not the models': commit, or they would not see the renames. -#}
    {%- if renamed -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
