{#-
    The standardisation applied to each selected feature: z = (x - mean) / std, with the
    population standard deviation. A constant feature (std 0) scales to 0 for everyone.
    Kept as a table so new customers can be scored in SQL with the same parameters.

    Mean and std are computed order-independently (exact_avg), so every build of the same input
    gets bit-identical z-scores and hence the same Ward tree and k-means search: first the
    mean and the range, then the mean squared deviation scaled by the largest deviation (each
    term in [0, 1], summed exactly to 18 decimals). Each pass reads the input once for all
    features (a union of per-feature scans would read it once per feature).
-#}
with encoded as (

    select * from {{ ref('int_customer_features_encoded') }}

),

moments as (

    select
        -- one row: every feature's mean, minimum and maximum side by side
        {%- for feature in segmentation_features() %}
        {{ exact_avg(feature) }} as {{ feature }}__mean,
        min({{ feature }}) as {{ feature }}__min,
        max({{ feature }}) as {{ feature }}__max{% if not loop.last %},{% endif %}
        {%- endfor %}
    from encoded

),

spread as (

    select
        *,
        {%- for feature in segmentation_features() %}
        nullif(greatest(
            {{ feature }}__max - {{ feature }}__mean, {{ feature }}__mean - {{ feature }}__min
        ), 0) as {{ feature }}__max_deviation{% if not loop.last %},{% endif %}
        {%- endfor %}
    from moments

),

scaled_variances as (

    select
        -- one row: every feature's mean squared deviation, each deviation first divided by the
        -- largest one so every term is in [0, 1]
        {%- for feature in segmentation_features() %}
        {%- set squared_deviation = 'power((encoded.' ~ feature ~ ' - spread.' ~ feature ~ '__mean)'
            ~ ' / spread.' ~ feature ~ '__max_deviation, 2)' %}
        {{ exact_avg(squared_deviation, scale=18) }} as {{ feature }}__scaled_variance
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from encoded
    cross join spread

),

per_feature as (

    {%- for feature in segmentation_features() %}
    select
        {{ loop.index }} as feature_position,
        '{{ feature }}' as feature_name,
        spread.{{ feature }}__mean as feature_mean,
        coalesce(
            spread.{{ feature }}__max_deviation
            * sqrt(scaled_variances.{{ feature }}__scaled_variance),
            -- no spread: std 0 (null when there are no values at all, like stddev_pop)
            case when spread.{{ feature }}__mean is not null then 0.0 end
        ) as feature_std
    from spread
    cross join scaled_variances
    {% if not loop.last %}union all{% endif %}
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
