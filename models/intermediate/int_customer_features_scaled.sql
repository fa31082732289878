{#-
    The clustering input: one row per valid customer, one z-scored column per selected feature
    (named like the feature), in the order of the `segmentation_features` var.
-#}
with encoded as (

    select * from {{ ref('int_customer_features_encoded') }}

),

feature_scaler as (

    select * from {{ ref('int_feature_scaler') }}

),

scaler as (

    select
        -- one row: every feature's mean and scale side by side
        {%- for feature in segmentation_features() %}
        max(case when feature_name = '{{ feature }}' then feature_mean end) as {{ feature }}_mean,
        max(case when feature_name = '{{ feature }}' then feature_scale end) as {{ feature }}_scale
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from feature_scaler

),

final as (

    select
        encoded.customer_id,
        {%- for feature in segmentation_features() %}
        {{ standardised(feature) }} as {{ feature }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from encoded
    cross join scaler

)

select * from final
