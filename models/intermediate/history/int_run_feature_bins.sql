{#-
    The training bins of every feature of this build's model version: computed now
    (int_version_feature_bins) for a new version, as kept for a stored one.
-#}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

fresh as (

    select * from {{ ref('int_version_feature_bins') }}

),

stored as (

    select * from {{ ref('int_stored_feature_bins') }}

),

final as (

    select
        model_version.model_version,
        fresh.feature_position,
        fresh.feature_name,
        fresh.bin_index,
        fresh.lower_edge,
        fresh.upper_edge,
        fresh.training_customers,
        fresh.training_share,
        fresh.training_mean,
        fresh.training_std
    from fresh
    cross join model_version
    where model_version.is_new_version
    union all
    select
        stored.model_version,
        stored.feature_position,
        stored.feature_name,
        stored.bin_index,
        stored.lower_edge,
        stored.upper_edge,
        stored.training_customers,
        stored.training_share,
        stored.training_mean,
        stored.training_std
    from stored
    inner join model_version on stored.model_version = model_version.model_version
    where not model_version.is_new_version

)

select * from final
