{#-
    The customers that passed every rule in stg_customers: the population that gets segmented.
    Before it is built, the share of rejected input rows is checked against var
    max_rejected_share (check_rejected_share): a mostly rejected input stops the build here,
    before anything downstream runs or is published.

    customer_order is the order the clustering reads the customers in. Without a key it is the
    row position (as the embedded file has always been read); with a key it is the order of the
    customers' values (ties by key), so the segments depend neither on the input's row order
    nor on how its keys sort.
-#}
{%- do check_rejected_share(ref('stg_customers')) %}

with staged as (

    select * from {{ ref('stg_customers') }}

),

valid as (

    select * from staged
    where is_valid

),

final as (

    select
        customer_id,
        {%- if customer_columns()['customer_id'] is none %}
        input_row as customer_order,
        {%- else %}
        row_number() over (
            order by
                minutes_watched, minutes_watched_was_blank, clv, region_code, channel_code,
                {%- for attribute in customer_attributes() %}
                {{ attribute.name }},
                {%- endfor %}
                customer_id
        ) as customer_order,
        {%- endif %}
        input_row,
        minutes_watched,
        minutes_watched_was_blank,
        clv,
        {%- for attribute in customer_attributes() %}
        {{ attribute.name }},
        {%- endfor %}
        region_code,
        channel_code
    from valid

)

select * from final
