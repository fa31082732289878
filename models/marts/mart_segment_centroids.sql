{#-
    The centre of every segment of both methods, per feature, in clustering units (what the
    clustering saw: weight * (transformed value - mean) / scale) and in the feature's original
    units, with the feature's transform and weight. The k-means centres are the ones new
    customers are scored against.

    Declared attributes that are not clustering features are profiled here too (rows with
    is_segmentation_feature false): each numeric attribute's segment mean, and each category's
    share of the segment, with center_standardised the z-score of that mean against all
    customers.
-#}
-- The profiled categories are known only when the model runs, hence the explicit dependency:
-- depends_on: {{ ref('int_customer_segments_long') }}
{%- set features = segmentation_features() %}
{%- set profiled = profiled_attribute_expressions(features) %}

with int_kmeans_fit as (

    select * from {{ ref('int_kmeans_fit') }}

),

ward_centers as (

    select * from {{ ref('int_ward_segment_centers') }}

),

scaler as (

    select * from {{ ref('int_segmentation_scaler') }}

),
{%- if profiled %}

customer_segments as (

    select * from {{ ref('int_customer_segments_long') }}

),

attribute_values as (

    select
        segmentation_method,
        segment_id,
        {%- for name, expression in profiled %}
        {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from customer_segments

),

attribute_overall as (

    select
        segmentation_method,
        {%- for name, expression in profiled %}
        {{ exact_avg(name) }} as {{ name }}__mean,
        stddev_pop({{ name }}) as {{ name }}__std{{ ',' if not loop.last }}
        {%- endfor %}
    from attribute_values
    group by segmentation_method

),

attribute_means as (

    select
        segmentation_method,
        segment_id,
        {%- for name, expression in profiled %}
        {{ exact_avg(name) }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from attribute_values
    group by segmentation_method, segment_id

),

attribute_profiles as (

    {%- for name, expression in profiled %}
    select
        attribute_means.segmentation_method,
        attribute_means.segment_id,
        cast({{ features | length + loop.index }} as integer) as feature_position,
        '{{ name }}' as feature_name,
        coalesce(
            (attribute_means.{{ name }} - attribute_overall.{{ name }}__mean)
            / nullif(attribute_overall.{{ name }}__std, 0), 0.0
        ) as center_standardised,
        attribute_means.{{ name }} as center_original_units,
        attribute_overall.{{ name }}__mean as overall_mean,
        attribute_overall.{{ name }}__std as overall_std,
        'none' as feature_transform,
        cast(null as {{ type_double() }}) as feature_weight,
        false as is_segmentation_feature
    from attribute_means
    inner join attribute_overall
        on attribute_means.segmentation_method = attribute_overall.segmentation_method
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),
{%- endif %}

long_centers as (

    {%- for feature in features %}
    select
        'kmeans' as segmentation_method,
        kmeans_segment_id as segment_id,
        '{{ feature }}' as feature_name,
        center_{{ feature }} as center_standardised
    from int_kmeans_fit
    union all
    select
        'ward' as segmentation_method,
        ward_segment_id as segment_id,
        '{{ feature }}' as feature_name,
        {{ feature }} as center_standardised
    from ward_centers
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

feature_centers as (

    {#- Back to original units: undo the weight, the scaling and a log1p (a winsorized
        feature stays in its clipped range). -#}
    select
        long_centers.segmentation_method,
        long_centers.segment_id,
        scaler.feature_position,
        long_centers.feature_name,
        long_centers.center_standardised,
        case
            when scaler.feature_transform = 'log1p'
                then exp(
                    long_centers.center_standardised / scaler.feature_weight
                    * scaler.feature_scale + scaler.feature_mean
                ) - 1
            else
                long_centers.center_standardised / scaler.feature_weight
                * scaler.feature_scale + scaler.feature_mean
        end as center_original_units,
        scaler.feature_mean as overall_mean,
        scaler.feature_std as overall_std,
        scaler.feature_transform,
        scaler.feature_weight,
        true as is_segmentation_feature
    from long_centers
    inner join scaler on long_centers.feature_name = scaler.feature_name

),

final as (

    select * from feature_centers
    {%- if profiled %}
    union all
    select * from attribute_profiles
    {%- endif %}

)

select * from final
