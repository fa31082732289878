{#-
    Score any customers table in pure SQL: check its rows with the build's own row rules,
    encode them like the training data, standardise them with the saved scaler
    (int_feature_scaler: transform, clip bounds, weight) and give each customer the nearest
    k-means centre (int_kmeans_fit). No Python and no refitting.

    Use it in a model of this project:

        select * from {{ score_customers(ref('new_customers')) }}

    The input needs one row per customer with a key, minutes watched, CLV, region and channel
    (codes, names or slugs of the code seeds), raw units, as numbers or text, and the declared
    attributes (var customer_attributes); name its columns if they differ:

        {{ score_customers(ref('crm_accounts'), customer_id='account_id', clv='lifetime_value',
                           attributes={'plan': 'subscription'}) }}

    Returns one row per input row:
        customer_id, kmeans_segment_id, segment_name, distance_to_center, scoring_issue
    A row that breaks a rule of the input contract (macro customer_row_rules: negative
    minutes, blank or negative CLV, a region or channel in no seed line, a blank or repeated
    key, ...) gets kmeans_segment_id null and the reasons in scoring_issue, so nothing is
    dropped silently. Blank minutes count as 0, as in training.

    Exactness: the scaled features are computed by the same macros (scaler_as_one_row,
    standardised) as int_customer_features_scaled, and the squared distance to each centre is
    summed feature by feature, left to right, like customer_segmentation.kmeans.assign_nearest;
    equal distances go to the lowest segment id. On the training customers the labels therefore
    equal the Python labels (int_kmeans_assignments), which the test
    assert_sql_scoring_matches_python_labels checks on every build. The build's vars
    (n_segments, segmentation_features, customer_attributes) must be the ones the model was
    trained with.

    Model versions (docs/over-time.md): `scaler` and `centers` default to this
    build's model version, int_segmentation_scaler and int_kmeans_fit (the stored version's in a
    scoring build). Segment ids are read from the centres: a refit keeps the ids of the
    segments it continues, so they need not be 1..k.
-#}
{% macro score_customers(
        relation,
        customer_id='customer_id',
        minutes_watched='minutes_watched',
        clv='clv',
        region='region',
        channel='channel',
        attributes=none,
        scaler=none,
        centers=none) -%}
    {%- set scaler = scaler if scaler is not none else ref('int_segmentation_scaler') -%}
    {%- set centers = centers if centers is not none else ref('int_kmeans_fit') -%}
    {%- set specs = segmentation_feature_specs() -%}
    {%- set features = specs | map(attribute='name') | list -%}
    {%- set attribute_columns = attributes or {} -%}
    {#- The number of centres: the fitted model's when it exists (with n_segments: auto it is
        only known once int_kmeans_fit is built), else the var (while dbt parses). -#}
    {%- set setting = var('n_segments') | string | trim | lower -%}
    {%- set n_segments = 1 if setting == 'auto' else setting | int -%}
    {%- if execute -%}
        {%- set fitted = fitted_segment_count(centers) -%}
        {%- if fitted is not none -%}
            {%- if setting != 'auto' and fitted != n_segments -%}
                {{ exceptions.raise_compiler_error(
                    "score_customers: " ~ centers ~ " has " ~ fitted ~ " segments but var "
                    ~ "n_segments is " ~ n_segments ~ "; score with the vars the model was built with") }}
            {%- endif -%}
            {%- set n_segments = fitted -%}
        {%- endif -%}
    {%- endif -%}
    {%- set segment_ids = segment_ids_of(centers, 'kmeans_segment_id', parse_count=n_segments) -%}
(
    with score_input as (

        {#- The scored table's columns under the raw names the row rules read. -#}
        select
            cast(row_number() over (order by {{ customer_id }}) as bigint) as input_row,
            {{ customer_id }} as customer_id_raw,
            {{ minutes_watched }} as minutes_watched_raw,
            {{ clv }} as clv_raw,
            {{ region }} as region_raw,
            {{ channel }} as channel_raw,
            {%- for attribute in customer_attributes() %}
            {{ attribute_columns.get(attribute.name, attribute.name) }} as {{ attribute.name }}_raw,
            {%- endfor %}
            'score_customers' as input_source
        from {{ relation }}

    ),

    score_checked as (

        select * from {{ customer_row_rules('score_input', key='as_is') }}

    ),

    score_cleaned as (

        {#- Every row stays (no join back needed); rows with an issue get null values. -#}
        select
            customer_id,
            rejection_reason as scoring_issue,
            case when is_valid then minutes_watched end as minutes_watched,
            minutes_watched_was_blank,
            case when is_valid then clv end as clv,
            case when is_valid then region_code end as region_code,
            case when is_valid then channel_code end as channel_code
            {%- for attribute in customer_attributes() %},
            case when is_valid then {{ attribute.name }} end as {{ attribute.name }}
            {%- endfor %}
        from score_checked

    ),

    score_encoded as (

        select
            customer_id,
            scoring_issue,
            {%- for name, expression, group in customer_feature_expressions() if name in features %}
            {{ expression }} as {{ name }}{{ ',' if not loop.last }}
            {%- endfor %}
        from score_cleaned

    ),

    score_scaler as (

        {{ scaler_as_one_row(scaler, features) }}

    ),

    score_centers as (

        select
            {%- for segment in segment_ids %}
            {%- for feature in features %}
            max(case when kmeans_segment_id = {{ segment }} then center_{{ feature }} end)
                as c{{ segment }}_{{ feature }},
            {%- endfor %}
            {%- endfor %}
            count(*) as n_centers
        from {{ centers }}

    ),

    score_scaled as (

        {#- The same macros as int_customer_features_scaled, hence the same doubles. -#}
        select
            score_encoded.customer_id,
            score_encoded.scoring_issue,
            {%- for spec in specs %}
            {%- set feature = spec.name %}
            {{ standardised(spec, 'score_encoded', 'score_scaler') }} as z_{{ feature }}
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        from score_encoded
        cross join score_scaler

    ),

    score_distances as (

        select
            score_scaled.customer_id,
            score_scaled.scoring_issue,
            {%- for segment in segment_ids %}
            {%- for feature in features %}
            {{ '+ ' if not loop.first }}(score_scaled.z_{{ feature }} - score_centers.c{{ segment }}_{{ feature }})
                * (score_scaled.z_{{ feature }} - score_centers.c{{ segment }}_{{ feature }})
            {%- endfor %}
                as d{{ segment }}{{ ',' if not loop.last }}
            {%- endfor %}
        from score_scaled
        cross join score_centers

    ),

    score_nearest as (

        select
            customer_id,
            scoring_issue,
            {%- for segment in segment_ids %}
            d{{ segment }},
            {%- endfor %}
            least({% for segment in segment_ids %}d{{ segment }}{{ ', ' if not loop.last }}{% endfor %})
                as nearest_squared_distance
        from score_distances

    ),

    score_labelled as (

        {#- The first segment at the smallest distance: ties go to the lowest id. -#}
        select
            customer_id,
            scoring_issue,
            case
                {%- for segment in segment_ids %}
                when d{{ segment }} = nearest_squared_distance then {{ segment }}
                {%- endfor %}
            end as kmeans_segment_id,
            sqrt(nearest_squared_distance) as distance_to_center
        from score_nearest

    ),

    score_names as (

        select segment_id, segment_name
        from {{ ref('int_segment_names') }}
        where segmentation_method = 'kmeans'

    )

    select
        score_labelled.customer_id,
        score_labelled.kmeans_segment_id,
        score_names.segment_name,
        score_labelled.distance_to_center,
        score_labelled.scoring_issue
    from score_labelled
    left join score_names on score_labelled.kmeans_segment_id = score_names.segment_id
) as mart_scored_customers
{%- endmacro %}

{#- Segments of the fitted k-means model, or none when it is not built yet. -#}
{% macro fitted_segment_count(fit_relation) -%}
    {%- set existing = adapter.get_relation(
        database=fit_relation.database, schema=fit_relation.schema,
        identifier=fit_relation.identifier) -%}
    {%- if existing is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query('select count(*) from ' ~ fit_relation).columns[0].values()[0] | int) }}
{%- endmacro %}
