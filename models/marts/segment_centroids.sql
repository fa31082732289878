{#-
    The centre of every segment of both methods, per feature, in standardised units (what the
    clustering saw) and in the feature's original units. The k-means centres are the ones new
    customers are scored against.
-#}
with kmeans_fit as (

    select * from {{ ref('kmeans_fit') }}

),

ward_centers as (

    select * from {{ ref('int_ward_segment_centers') }}

),

scaler as (

    select * from {{ ref('int_segmentation_scaler') }}

),

long_centers as (

    {%- for feature in segmentation_features() %}
    select
        'kmeans' as segmentation_method,
        kmeans_segment_id as segment_id,
        '{{ feature }}' as feature_name,
        center_{{ feature }} as center_standardised
    from kmeans_fit
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

final as (

    select
        long_centers.segmentation_method,
        long_centers.segment_id,
        scaler.feature_position,
        long_centers.feature_name,
        long_centers.center_standardised,
        long_centers.center_standardised * scaler.feature_scale + scaler.feature_mean
            as center_original_units,
        scaler.feature_mean as overall_mean,
        scaler.feature_std as overall_std
    from long_centers
    inner join scaler on long_centers.feature_name = scaler.feature_name

)

select * from final
