{#-
    KEPT: one row per model version: when and on what it was fitted (row count and a
    fingerprint of the input), its features with their settings (int_feature_scaler's rows as
    JSON), scaler, k, inertia, the search's figures, the dbt invocation id, and how its
    segments relate to the previous version's. Written after the version's centres, scalers,
    segments, bins and lineage (depends_on below), so a version listed here is complete even
    when a build is killed half-way.
-#}
{{ kept_table('model_version') }}
-- depends_on: {{ ref('mart_model_centres') }}
-- depends_on: {{ ref('mart_model_scalers') }}
-- depends_on: {{ ref('mart_model_segments') }}
-- depends_on: {{ ref('mart_model_feature_bins') }}
-- depends_on: {{ ref('mart_segment_lineage') }}
{%- set scaler_columns = scaler_column_names() %}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

run as (

    select * from {{ ref('int_segmentation_run') }}

),

segment_count as (

    select * from {{ ref('int_segment_count') }}

),

int_kmeans_fit as (

    select * from {{ ref('int_kmeans_fit') }}

),

scaler as (

    select * from {{ ref('int_segmentation_scaler') }}

),

lineage as (

    select * from {{ ref('int_segment_lineage_links') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

),

search as (

    select
        max(inertia) as inertia,
        max(n_starts) as n_starts,
        max(n_starts_at_best) as n_starts_at_best,
        max(search_strategy) as search_strategy,
        max(random_state) as random_state
    from int_kmeans_fit

),

settings as (

    select
        {{ ordered_list('scaler.feature_name', 'scaler.feature_position') }} as features,
        {%- set feature_json = row_json('scaler', scaler_columns) %}
        concat('[', {{ ordered_list(feature_json, 'scaler.feature_position') }}, ']')
            as feature_settings
    from scaler

),

lineage_counts as (

    select
        count(distinct case when is_matched then segment_id end) as segments_kept,
        count(distinct case when status = 'retired' then previous_segment_id end)
            as segments_retired
    from lineage

),

source as (

    select max(input_source) as input_source from customers

),

final as (

    select
        {{- kept_select_list('mart_model_versions', 'search', {
            'model_version': 'model_version.model_version',
            'fitted_at': "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)",
            'snapshot_date': snapshot_date_literal(),
            'dbt_invocation_id': "'" ~ invocation_id ~ "'",
            'fit_reason': 'model_version.reason',
            'input_source': 'source.input_source',
            'input_rows': 'run.input_rows',
            'input_fingerprint': 'run.input_fingerprint',
            'config_fingerprint': 'run.config_fingerprint',
            'features': 'settings.features',
            'feature_settings': 'settings.feature_settings',
            'scaler': "'transform (feature_transform), z = (x - feature_mean) / feature_scale with the population standard deviation, times feature_weight'",
            'n_segments': 'segment_count.n_segments',
            'n_segments_setting': "'" ~ (var('n_segments') | string | trim) ~ "'",
            'previous_model_version': 'model_version.previous_model_version',
            'segments_kept': 'lineage_counts.segments_kept',
            'segments_new': 'segment_count.n_segments - lineage_counts.segments_kept',
            'segments_retired': 'lineage_counts.segments_retired',
        }) }}
    from model_version
    cross join run
    cross join segment_count
    cross join search
    cross join settings
    cross join lineage_counts
    cross join source
    where model_version.is_new_version

)

select * from final
