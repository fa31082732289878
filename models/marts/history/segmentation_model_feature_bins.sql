{#-
    KEPT: every model version's training distribution of each feature (decile bins of the raw
    values, with the share of training customers in each), the reference of the population
    stability index in mart_feature_drift.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy=kept_strategy(),
    unique_key='model_version',
    partition_by=kept_partition('model_version'),
    full_refresh=drop_segmentation_history(),
    on_schema_change='append_new_columns'
) }}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

bins as (

    select * from {{ ref('version_feature_bins') }}

),

final as (

    select
        {{- kept_select_list('segmentation_model_feature_bins', 'bins',
            {'model_version': 'model_version.model_version'}) }}
    from bins
    cross join model_version
    where model_version.is_new_version

)

select * from final
