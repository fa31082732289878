{#-
    The clustering input: one row per valid customer, one column per selected feature (named
    like the feature) holding weight * (transformed value - mean) / scale, in the order of the
    `segmentation_features` var, and customer_order, the order the clustering reads them in.
-#}
{%- set specs = segmentation_feature_specs() %}

with encoded as (

    select * from {{ ref('int_customer_features_encoded') }}

),

feature_scaler as (

    select * from {{ ref('int_segmentation_scaler') }}

),

scaler as (

    {{ scaler_as_one_row('feature_scaler', specs | map(attribute='name') | list) }}

),

final as (

    select
        encoded.customer_id,
        encoded.customer_order,
        {%- for spec in specs %}
        {{ standardised(spec, 'encoded', 'scaler') }} as {{ spec.name }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from encoded
    cross join scaler

)

select * from final
