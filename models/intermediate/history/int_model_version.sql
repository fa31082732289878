{#-
    One row: the model version this build's segments belong to. A scoring build: the scored
    version. A fit: a stored version with the same features, k and input whose k-means centres
    are exactly the new ones (a rebuild reproduces its version, which is then not stored
    twice), else a new version (the next id). is_new_version says whether the kept version
    tables get rows from this build.
-#}
{%- set features = segmentation_features() %}
with run as (

    select * from {{ ref('int_segmentation_run') }}

),

int_kmeans_fit as (

    select * from {{ ref('int_kmeans_fit') }}

),

stored_versions as (

    select * from {{ ref('int_stored_versions') }}

),

stored_centres as (

    select * from {{ ref('int_stored_centres') }}

),

new_centres as (

    {%- for feature in features %}
    select
        kmeans_segment_id as segment_id,
        '{{ feature }}' as feature_name,
        center_{{ feature }} as center_standardised
    from int_kmeans_fit
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

new_size as (

    select count(*) as centre_values from new_centres

),

candidates as (

    select stored_versions.model_version
    from stored_versions
    cross join run
    where
        run.mode = 'fit'
        and stored_versions.config_fingerprint = run.config_fingerprint
        and stored_versions.input_fingerprint = run.input_fingerprint

),

candidate_sizes as (

    select
        candidates.model_version,
        count(stored_centres.segment_id) as centre_values
    from candidates
    left join stored_centres
        on
        candidates.model_version = stored_centres.model_version
        and stored_centres.segmentation_method = 'kmeans'
    group by candidates.model_version

),

equal_values as (

    select
        candidates.model_version,
        count(*) as centre_values
    from candidates
    inner join stored_centres
        on
        candidates.model_version = stored_centres.model_version
        and stored_centres.segmentation_method = 'kmeans'
    inner join new_centres
        on
        stored_centres.segment_id = new_centres.segment_id
        and stored_centres.feature_name = new_centres.feature_name
        and stored_centres.center_standardised = new_centres.center_standardised
    group by candidates.model_version

),

reusable as (

    select min(candidate_sizes.model_version) as model_version
    from candidate_sizes
    inner join equal_values on candidate_sizes.model_version = equal_values.model_version
    cross join new_size
    where
        candidate_sizes.centre_values = new_size.centre_values
        and equal_values.centre_values = new_size.centre_values

),

final as (

    select
        run.mode,
        case
            when run.mode = 'score' then run.model_version
            else coalesce(reusable.model_version, run.next_model_version)
        end as model_version,
        run.mode = 'fit' and reusable.model_version is null as is_new_version,
        nullif(run.previous_model_version, 0) as previous_model_version,
        case
            when run.mode = 'fit' and reusable.model_version is not null
                then concat(
                    run.reason, '; the fit reproduces version ',
                    cast(reusable.model_version as {{ dbt.type_string() }})
                )
            else run.reason
        end as reason
    from run
    cross join reusable

)

select * from final
