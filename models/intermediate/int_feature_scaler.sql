{#-
    The standardisation applied to each selected feature: z = (x - mean) / std, with the
    population standard deviation. A constant feature (std 0) scales to 0 for everyone.
    Kept as a table so new customers can be scored in SQL with the same parameters.
-#}
with encoded as (

    select * from {{ ref('int_customer_features_encoded') }}

),

moments as (

    {#- One scan for every feature (a union of per-feature scans read the input once each). -#}
    select
        {%- for feature in segmentation_features() %}
        avg({{ feature }}) as {{ feature }}__mean,
        stddev_pop({{ feature }}) as {{ feature }}__std{{ ',' if not loop.last }}
        {%- endfor %}
    from encoded

),

per_feature as (

    {%- for feature in segmentation_features() %}
    select
        {{ loop.index }} as feature_position,
        '{{ feature }}' as feature_name,
        {{ feature }}__mean as feature_mean,
        {{ feature }}__std as feature_std
    from moments
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

final as (

    select
        feature_position,
        feature_name,
        feature_mean,
        feature_std,
        case when feature_std > 0 then feature_std else 1.0 end as feature_scale
    from per_feature

)

select * from final
