{#-
    The quarantine: every input row that broke a rule, with its raw values and the reasons.
    Rows in = rows in fct_customer_segments + rows here.
-#}
with staged as (

    select * from {{ ref('stg_customers') }}

),

final as (

    select
        customer_id,
        minutes_watched_raw,
        clv_raw,
        region_raw,
        channel_raw,
        rejection_reason,
        input_source
    from staged
    where not is_valid

)

select * from final
