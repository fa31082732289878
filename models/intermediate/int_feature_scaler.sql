{#-
    The standardisation applied to each selected feature: z = weight * (T(x) - mean) / std,
    with the population standard deviation of T(x), where T is the feature's transform (none;
    log1p; winsorize: clipped to its quantiles 1 - q and q, computed here). A constant feature
    (std 0) scales to 0 for everyone. Kept as a table, transform, clip bounds and weight
    included, so new customers are scored in SQL with exactly the same parameters.

    Mean and std are computed order-independently (exact_avg), so every build of the same input
    gets bit-identical z-scores and hence the same Ward tree and k-means search: first the
    mean and the range, then the mean squared deviation scaled by the largest deviation (each
    term in [0, 1], summed exactly to 18 decimals). Each pass reads the input once for all
    features (a union of per-feature scans would read it once per feature).
-#}
{%- set specs = segmentation_feature_specs() %}
{%- set winsorized = specs | selectattr('transform', 'equalto', 'winsorize') | list %}

with encoded as (

    select * from {{ ref('int_customer_features_encoded') }}

),
{%- if winsorized %}

clip_bounds as (

    select
        {%- for spec in winsorized %}
        {{ quantile_value(spec.name, (1 - spec.quantile) | round(12)) }} as {{ spec.name }}_clip_lower,
        {{ quantile_value(spec.name, spec.quantile) }} as {{ spec.name }}_clip_upper
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from encoded

),
{%- endif %}

transformed as (

    select
        -- every selected feature after its transform
        {%- for spec in specs %}
        {{ transformed(spec, 'encoded', 'clip_bounds') }} as {{ spec.name }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from encoded
    {%- if winsorized %}
    cross join clip_bounds
    {%- endif %}

),

moments as (

    select
        -- one row: every feature's mean, minimum and maximum side by side
        {%- for feature in specs | map(attribute='name') %}
        {{ exact_avg(feature) }} as {{ feature }}__mean,
        min({{ feature }}) as {{ feature }}__min,
        max({{ feature }}) as {{ feature }}__max{% if not loop.last %},{% endif %}
        {%- endfor %}
    from transformed

),

spread as (

    select
        *,
        {%- for feature in specs | map(attribute='name') %}
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
        {%- for feature in specs | map(attribute='name') %}
        {%- set squared_deviation = 'power((encoded.' ~ feature ~ ' - spread.' ~ feature ~ '__mean)'
            ~ ' / spread.' ~ feature ~ '__max_deviation, 2)' %}
        {{ exact_avg(squared_deviation, scale=18) }} as {{ feature }}__scaled_variance
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from transformed as encoded
    cross join spread

),

per_feature as (

    {%- for spec in specs %}
    {%- set feature = spec.name %}
    select
        {{ loop.index }} as feature_position,
        '{{ feature }}' as feature_name,
        '{{ spec.transform }}' as feature_transform,
        cast({{ spec.quantile if spec.quantile is not none else 'null' }} as {{ type_double() }})
            as transform_quantile,
        {%- if spec.transform == 'winsorize' %}
        clip_bounds.{{ feature }}_clip_lower as clip_lower,
        clip_bounds.{{ feature }}_clip_upper as clip_upper,
        {%- else %}
        cast(null as {{ type_double() }}) as clip_lower,
        cast(null as {{ type_double() }}) as clip_upper,
        {%- endif %}
        cast({{ spec.weight }} as {{ type_double() }}) as feature_weight,
        spread.{{ feature }}__mean as feature_mean,
        coalesce(
            spread.{{ feature }}__max_deviation
            * sqrt(scaled_variances.{{ feature }}__scaled_variance),
            -- no spread: std 0 (null when there are no values at all, like stddev_pop)
            case when spread.{{ feature }}__mean is not null then 0.0 end
        ) as feature_std
    from spread
    cross join scaled_variances
    {%- if spec.transform == 'winsorize' %}
    cross join clip_bounds
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        feature_position,
        feature_name,
        feature_mean,
        feature_std,
        case when feature_std > 0 then feature_std else 1.0 end as feature_scale,
        feature_transform,
        transform_quantile,
        clip_lower,
        clip_upper,
        feature_weight
    from per_feature

)

select * from final
