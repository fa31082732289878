{#-
    The raw customer rows with their position in the input as customer_id. Kept apart from
    stg_customers so the cleaning rules can be unit tested with fixed customer ids.
-#}
with input_rows as (

    {{ customers_input() }}

)

select * from input_rows
