{#-
    Every candidate clustering feature, unscaled: the numbers as they are, the codes as numbers,
    and one 0/1 column per channel and per region (one-hot). The `segmentation_features` var picks
    which of these the clustering sees.
-#}
with customers as (

    select * from {{ ref('int_customers_cleaned') }}

),

final as (

    select
        customer_id,
        minutes_watched,
        clv,
        cast(region_code as {{ type_double() }}) as region_code,
        cast(channel_code as {{ type_double() }}) as channel_code,
        ln(1 + minutes_watched) as minutes_watched_log1p,
        {{ indicator('minutes_watched_was_blank') }} as minutes_watched_was_blank,
        {%- for code, slug in channel_codes().items() %}
        {{ indicator('channel_code = ' ~ code) }} as channel_{{ slug }},
        {%- endfor %}
        {%- for code, slug in region_codes().items() %}
        {{ indicator('region_code = ' ~ code) }} as region_{{ slug }}{{ ',' if not loop.last }}
        {%- endfor %}
    from customers

)

select * from final
