{#-
    The standardisation applied to each selected feature: z = (x - mean) / std, with the
    population standard deviation. A constant feature (std 0) scales to 0 for everyone.
    Kept as a table so new customers can be scored in SQL with the same parameters.

    Mean and std are computed order-independently (exact_avg), so every build of the same input
    gets bit-identical z-scores and hence the same Ward tree and k-means search: first the
    mean and the range, then the mean squared deviation scaled by the largest deviation (each
    term in [0, 1], summed exactly to 18 decimals).
-#}
with encoded as (

    select * from {{ ref('int_customer_features_encoded') }}

),

moments as (

    {%- for feature in segmentation_features() %}
    select
        {{ loop.index }} as feature_position,
        '{{ feature }}' as feature_name,
        {{ exact_avg(feature) }} as feature_mean,
        min({{ feature }}) as feature_min,
        max({{ feature }}) as feature_max
    from encoded
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

spread as (

    select
        *,
        nullif(greatest(feature_max - feature_mean, feature_mean - feature_min), 0)
            as max_deviation
    from moments

),

per_feature as (

    {%- for feature in segmentation_features() %}
    select
        max(spread.feature_position) as feature_position,
        max(spread.feature_name) as feature_name,
        max(spread.feature_mean) as feature_mean,
        coalesce(
            max(spread.max_deviation) * sqrt({{ exact_avg(
                'power((encoded.' ~ feature ~ ' - spread.feature_mean) / spread.max_deviation, 2)',
                scale=18) }}),
            -- no spread: std 0 (null when there are no values at all, like stddev_pop)
            case when max(spread.feature_mean) is not null then 0.0 end
        ) as feature_std
    from encoded
    cross join spread
    where spread.feature_name = '{{ feature }}'
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
