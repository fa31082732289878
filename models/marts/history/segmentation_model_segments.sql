{#-
    KEPT: every model version's segments (both methods): id, name, training size and share, the
    mean training distance to the centre and the outlier distance (k-means), and how each
    k-means segment relates to the previous version (lineage_status: kept, new, split, merged).
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

segments as (

    select * from {{ ref('int_version_segments') }}

),

final as (

    select
        {{- kept_select_list('segmentation_model_segments', 'segments',
            {'model_version': 'model_version.model_version'}) }}
    from segments
    cross join model_version
    where model_version.is_new_version

)

select * from final
