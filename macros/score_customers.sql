{#-
    Score any customers table in pure SQL: encode it like the training data, standardise it
    with the saved scaler (int_feature_scaler) and give each customer the nearest k-means
    centre (kmeans_fit). No Python and no refitting.

    Use it in a model of this project:

        select * from {{ score_customers(ref('new_customers')) }}

    The input needs one row per customer with an id, minutes watched, CLV, region code (0-2)
    and channel code (1-8), raw units, as numbers or text; name its columns if they differ:

        {{ score_customers(ref('crm_accounts'), customer_id='account_id', clv='lifetime_value') }}

    Returns one row per input row:
        customer_id, kmeans_segment_id, segment_name, distance_to_center, scoring_issue
    A row that breaks a rule of the staging model (negative minutes, blank or negative CLV,
    unknown region or channel code, ...) gets kmeans_segment_id null and the reasons in
    scoring_issue, so nothing is dropped silently. Blank minutes count as 0, as in training.

    Exactness: the scaled features are computed by the same macros (scaler_as_one_row, standardised) as
    int_customer_features_scaled, and the squared distance to each centre is summed feature by
    feature, left to right, like customer_segmentation.kmeans.assign_nearest; equal distances
    go to the lowest segment id. On the training customers the labels therefore equal the
    Python labels (kmeans_assignments), which the test assert_sql_scoring_matches_python_labels
    checks on every build. The build's vars (n_segments, segmentation_features) must be the
    ones the model was trained with.

    Model versions (README "Segments over time"): `scaler` and `centers` default to this
    build's model version, int_segmentation_scaler and kmeans_fit (the stored version's in a
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
        scaler=none,
        centers=none) -%}
    {%- set scaler = scaler if scaler is not none else ref('int_segmentation_scaler') -%}
    {%- set centers = centers if centers is not none else ref('kmeans_fit') -%}
    {%- set features = segmentation_features() -%}
    {%- set region_list = region_codes().keys() | join(', ') -%}
    {%- set channel_list = channel_codes().keys() | join(', ') -%}
    {#- The number of centres: the fitted model's when it exists (with n_segments: auto it is
        only known once kmeans_fit is built), else the var (while dbt parses). -#}
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

        select
            {{ customer_id }} as customer_id,
            {{ raw_is_blank(minutes_watched) }} as minutes_watched_was_blank,
            {{ parse_raw_double(minutes_watched) }} as minutes_watched_value,
            {{ parse_raw_double(clv) }} as clv_value,
            {{ parse_raw_double(region) }} as region_value,
            {{ parse_raw_double(channel) }} as channel_value
        from {{ relation }}

    ),

    score_checked as (

        select
            *,
            {{ join_non_null([
                "case when not minutes_watched_was_blank and not "
                    ~ is_finite('minutes_watched_value') ~ " then 'minutes_watched is not a finite number' end",
                "case when minutes_watched_value < 0 then 'minutes_watched is negative' end",
                "case when clv_value is null or not " ~ is_finite('clv_value')
                    ~ " then 'CLV is blank or not a finite number' end",
                "case when clv_value < 0 then 'CLV is negative' end",
                "case when region_value is null or region_value not in (" ~ region_list
                    ~ ") then 'region is not one of " ~ region_list ~ "' end",
                "case when channel_value is null or channel_value not in (" ~ channel_list
                    ~ ") then 'channel is not an integer from 1 to 8' end"
            ]) }} as scoring_issue
        from score_input

    ),

    score_cleaned as (

        {#- Every row stays (no join back needed); rows with an issue get null values. -#}
        select
            customer_id,
            scoring_issue,
            case when scoring_issue is null then coalesce(minutes_watched_value, 0) end
                as minutes_watched,
            minutes_watched_was_blank,
            case when scoring_issue is null then clv_value end as clv,
            case when scoring_issue is null then cast(region_value as integer) end as region_code,
            case when scoring_issue is null then cast(channel_value as integer) end as channel_code
        from score_checked

    ),

    score_encoded as (

        select
            customer_id,
            scoring_issue,
            {%- for name, expression in customer_feature_expressions() if name in features %}
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
            {%- for feature in features %}
            {{ standardised(feature, 'score_encoded', 'score_scaler') }} as z_{{ feature }}
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
        from {{ ref('segment_names') }}
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
) as scored_customers
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
