{#-
    The clustering input: one row per valid customer, one z-scored column per selected feature
    (named like the feature), in the order of the `segmentation_features` var.
-#}
with encoded as (

    select * from {{ ref('int_customer_features_encoded') }}

),

feature_scaler as (

    select * from {{ ref('int_segmentation_scaler') }}

),

scaler as (

    {{ scaler_as_one_row('feature_scaler', segmentation_features()) }}

),

final as (

    select
        encoded.customer_id,
        {%- for feature in segmentation_features() %}
        {{ standardised(feature, 'encoded', 'scaler') }} as {{ feature }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from encoded
    cross join scaler

)

select * from final
