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
        case when minutes_watched_was_blank then 1.0 else 0.0 end as minutes_watched_was_blank,
        {%- for code, slug in channel_codes().items() %}
        case when channel_code = {{ code }} then 1.0 else 0.0 end as channel_{{ slug }},
        {%- endfor %}
        {%- for code, slug in region_codes().items() %}
        case when region_code = {{ code }} then 1.0 else 0.0 end as region_{{ slug }}{{ ',' if not loop.last }}
        {%- endfor %}
    from customers

)

select * from final
