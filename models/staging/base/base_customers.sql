{#-
    The customer input as read, one row per input row: the embedded seed, a file
    (customers_path) or a warehouse table (customers_table, through the source
    customer_input.customers). Each mapped column arrives as <role>_raw; input_row is the row's
    position. Kept apart from stg_customers so the row rules can be unit tested with fixed rows.
-#}
with input_rows as (

    {{ customers_input() }}

)

select * from input_rows
