{#-
    One row per input row: values parsed to numbers, blank minutes filled with 0 (flagged), and
    every broken rule written into rejection_reason. Valid rows have rejection_reason null.
    Nothing is dropped here: int_customers_cleaned keeps the valid rows, customers_rejected the rest.
-#}
with base_customers as (

    select * from {{ ref('base_customers') }}

),

parsed as (

    {#- Blank test and number come straight from the raw value (no text round trip for
        Parquet numbers); the text is only needed for messages and the quarantine. -#}
    select
        customer_id,
        input_source,
        {%- for column in ['minutes_watched', 'clv', 'region', 'channel'] %}
        nullif(trim({{ as_text(column ~ '_raw') }}), '') as {{ column }}_text,
        {{ raw_is_blank(column ~ '_raw') }} as {{ column }}_is_blank,
        {{ parse_raw_double(column ~ '_raw') }} as {{ column }}_value
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from base_customers

),

checked as (

    select
        *,
        {{ join_non_null([
            "case when not minutes_watched_is_blank and minutes_watched_value is null
                then " ~ dbt.concat(["'minutes_watched is not a number: '", "minutes_watched_text"]) ~ " end",
            "case when not " ~ is_finite('minutes_watched_value') ~ "
                then " ~ dbt.concat(["'minutes_watched is not finite: '", "minutes_watched_text"]) ~ " end",
            "case when minutes_watched_value < 0
                then " ~ dbt.concat(["'minutes_watched is negative: '", "minutes_watched_text"]) ~ " end",
            "case when minutes_watched_value > " ~ max_customer_value() ~ "
                    and " ~ is_finite('minutes_watched_value') ~ "
                then " ~ dbt.concat(["'minutes_watched is above " ~ max_customer_value() ~ ": '", "minutes_watched_text"]) ~ " end",
            "case when clv_is_blank then 'CLV is blank' end",
            "case when not clv_is_blank and clv_value is null
                then " ~ dbt.concat(["'CLV is not a number: '", "clv_text"]) ~ " end",
            "case when not " ~ is_finite('clv_value') ~ "
                then " ~ dbt.concat(["'CLV is not finite: '", "clv_text"]) ~ " end",
            "case when clv_value < 0 then " ~ dbt.concat(["'CLV is negative: '", "clv_text"]) ~ " end",
            "case when clv_value > " ~ max_customer_value() ~ " and " ~ is_finite('clv_value') ~ "
                then " ~ dbt.concat(["'CLV is above " ~ max_customer_value() ~ ": '", "clv_text"]) ~ " end",
            "case when region_is_blank then 'region is blank' end",
            "case when not region_is_blank
                    and (region_value is null or region_value not in (0, 1, 2))
                then " ~ dbt.concat(["'region is not one of 0, 1, 2: '", "region_text"]) ~ " end",
            "case when channel_is_blank then 'channel is blank' end",
            "case when not channel_is_blank
                    and (channel_value is null or channel_value not in (1, 2, 3, 4, 5, 6, 7, 8))
                then " ~ dbt.concat(["'channel is not an integer from 1 to 8: '", "channel_text"]) ~ " end"
        ]) }} as rejection_reason
    from parsed

),

final as (

    select
        customer_id,
        coalesce(minutes_watched_value, 0) as minutes_watched,
        minutes_watched_is_blank as minutes_watched_was_blank,
        clv_value as clv,
        case when region_value in (0, 1, 2) then cast(region_value as integer) end as region_code,
        case
            when channel_value in (1, 2, 3, 4, 5, 6, 7, 8) then cast(channel_value as integer)
        end as channel_code,
        rejection_reason,
        rejection_reason is null as is_valid,
        minutes_watched_text as minutes_watched_raw,
        clv_text as clv_raw,
        region_text as region_raw,
        channel_text as channel_raw,
        input_source
    from checked

)

select * from final
