{#-
    KEPT: the scaler of every model version: int_feature_scaler's rows (every column it has,
    so settings added to it later, such as a transform or a weight per feature, are kept
    too), one row per version and feature. Scoring with a version standardises with these.
-#}
{{ kept_table('model_version') }}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

scaler as (

    select * from {{ ref('int_segmentation_scaler') }}

),

final as (

    select
        model_version.model_version,
        scaler.*
    from scaler
    cross join model_version
    where model_version.is_new_version

)

select * from final
