{#-
    The quarantine: every input row that broke a rule, with its position, its raw values and
    the reasons. Rows in = rows in mart_customer_segments + rows here.
-#}
with staged as (

    select * from {{ ref('stg_customers') }}

),

final as (

    select
        input_row,
        customer_id,
        customer_id_raw,
        minutes_watched_raw,
        clv_raw,
        region_raw,
        channel_raw,
        {%- set pairs = [] %}
        {%- for attribute in customer_attributes() %}
        {%- do pairs.append([attribute.name, attribute.name ~ '_raw']) %}
        {%- endfor %}
        {{ json_object_text(pairs) }} as attributes_raw,
        rejection_reason,
        rejection_rule,
        input_source
    from staged
    where not is_valid

)

select * from final
