{#-
    The segments of this build's model version with their training figures: computed now
    (int_version_segments) for a new version, as kept for a stored one. The reference every
    snapshot is compared with (drift, outliers).
-#}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

fresh as (

    select * from {{ ref('int_version_segments') }}

),

stored as (

    select * from {{ ref('int_stored_segments') }}

),

final as (

    select
        model_version.model_version,
        fresh.segmentation_method,
        fresh.segment_id,
        fresh.segment_name,
        fresh.training_customers,
        fresh.training_share,
        fresh.training_mean_distance,
        fresh.outlier_distance
    from fresh
    cross join model_version
    where model_version.is_new_version
    union all
    select
        stored.model_version,
        stored.segmentation_method,
        stored.segment_id,
        stored.segment_name,
        stored.training_customers,
        stored.training_share,
        stored.training_mean_distance,
        stored.outlier_distance
    from stored
    inner join model_version on stored.model_version = model_version.model_version
    where not model_version.is_new_version

)

select * from final
