{#- The customers that passed every rule in stg_customers: the population that gets segmented. -#}
with staged as (

    select * from {{ ref('stg_customers') }}

),

final as (

    select
        customer_id,
        minutes_watched,
        minutes_watched_was_blank,
        clv,
        region_code,
        channel_code
    from staged
    where is_valid

)

select * from final
