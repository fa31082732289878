{#-
    Every customer scored in SQL against the centres of this build's model version: the
    nearest k-means centre (ties to the lowest id) and its distance, the second nearest and the
    margin between the two; in a scoring build also the nearest Ward centre of the version.
    The features are int_customer_features_scaled (standardised with int_segmentation_scaler,
    the version's scaler when scoring) and the centres int_kmeans_fit's (the stored version's when
    scoring), so the same version gives the same labels and distances whenever it scores the
    same customers. Squared distances are summed feature by feature left to right, like the
    Python code: the labels equal int_kmeans_assignments (test
    assert_history_scores_match_python_labels).
-#}
{%- set features = segmentation_features() %}
{%- set run = one_row(ref('int_segmentation_run')) %}
{%- set scoring = run.get('mode') == 'score' %}
{%- set kmeans_ids = segment_ids_of(ref('int_kmeans_fit'), 'kmeans_segment_id') %}
{%- set ward_ids = segment_ids_of(
    ref('int_stored_centres'), 'segment_id',
    "segmentation_method = 'ward' and model_version = " ~ run.get('model_version', 0)
) if scoring else [] %}
with scaled as (

    select * from {{ ref('int_customer_features_scaled') }}

),

int_kmeans_fit as (

    select * from {{ ref('int_kmeans_fit') }}

),

stored_centres as (

    select * from {{ ref('int_stored_centres') }}

),

kmeans_centers as (

    select {{ kmeans_centre_columns(kmeans_ids, features) }}
    from int_kmeans_fit

),

ward_centers as (

    {#- The scored version's Ward centres: scoring builds only (none when fitting). #}
    select {{ ward_centre_columns(ward_ids, features) }}
    from stored_centres
    where
        segmentation_method = 'ward'
        and model_version = {{ run.get('model_version', 0) }}

),

distances as (

    select
        scaled.customer_id,
        {{ centre_distance_columns(kmeans_ids, ward_ids, features) }}
    from scaled
    cross join kmeans_centers
    cross join ward_centers

),

shortest as (

    select
        *,
        least(
            -- every k-means distance
            {%- for id in kmeans_ids %}
            kd{{ id }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as kmeans_nearest_squared
    from distances

),

nearest as (

    select
        *,
        {{ id_at_distance(kmeans_ids, 'kd', 'kmeans_nearest_squared') }} as kmeans_segment_id,
        {%- if ward_ids %}
        {{ id_at_distance(ward_ids, 'wd', 'least(' ~ ('wd' ~ ward_ids | join(', wd')) ~ ')') }}
        {%- else %}
        cast(null as bigint)
        {%- endif %} as ward_segment_id
    from shortest

),

second as (

    select
        *,
        {{ second_nearest_distance(kmeans_ids, 'kmeans_segment_id') }} as second_squared
    from nearest

),

final as (

    select
        customer_id,
        cast(kmeans_segment_id as bigint) as kmeans_segment_id,
        sqrt(kmeans_nearest_squared) as distance_to_center,
        cast(
            {{ id_at_distance(kmeans_ids, 'kd', 'second_squared', 'kmeans_segment_id') }}
            as bigint
        ) as second_segment_id,
        sqrt(second_squared) as second_distance,
        sqrt(second_squared) - sqrt(kmeans_nearest_squared) as margin,
        cast(ward_segment_id as bigint) as ward_segment_id
    from second

)

select * from final
