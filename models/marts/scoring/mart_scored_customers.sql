{#-
    The training customers scored in pure SQL by the score_customers macro: the saved scaler and
    k-means centres, no Python. It must reproduce the Python labels exactly (the test
    assert_sql_scoring_matches_python_labels), which is what makes the macro safe to run on new
    customers. Its build time is the cost of scoring this many customers in SQL.
-#}
with customers as (

    select * from {{ ref('int_customers_cleaned') }}

),

scoring_input as (

    {#- The customers as an analyst's table would hold them: raw units, blank minutes as null. -#}
    select
        customer_id,
        case when not minutes_watched_was_blank then minutes_watched end as minutes_watched,
        clv,
        {%- for attribute in customer_attributes() %}
        {{ attribute.name }},
        {%- endfor %}
        region_code as region,
        channel_code as channel
    from customers

),

final as (

    select * from {{ score_customers('scoring_input') }}

)

select * from final
