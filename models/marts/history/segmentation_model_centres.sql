{#-
    KEPT: the centres of every model version, one row per version, method, segment and
    feature (standardised units of the version's scaler). Appended when a build makes a new
    version, never rebuilt (full_refresh false; see macros/segmentation_history.sql).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy=kept_strategy(),
    unique_key='model_version',
    partition_by=kept_partition('model_version'),
    full_refresh=drop_segmentation_history(),
    on_schema_change='append_new_columns'
) }}
{%- set features = segmentation_features() %}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

kmeans_fit as (

    select * from {{ ref('kmeans_fit') }}

),

ward_centers as (

    select * from {{ ref('int_ward_segment_centers') }}

),

long_centres as (

    {%- for feature in features %}
    select
        'kmeans' as segmentation_method,
        kmeans_segment_id as segment_id,
        {{ loop.index }} as feature_position,
        '{{ feature }}' as feature_name,
        center_{{ feature }} as center_standardised
    from kmeans_fit
    union all
    select
        'ward' as segmentation_method,
        ward_segment_id as segment_id,
        {{ loop.index }} as feature_position,
        '{{ feature }}' as feature_name,
        {{ feature }} as center_standardised
    from ward_centers
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        {{- kept_select_list('segmentation_model_centres', 'long_centres',
            {'model_version': 'model_version.model_version'}) }}
    from long_centres
    cross join model_version
    where model_version.is_new_version

)

select * from final
