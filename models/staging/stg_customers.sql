{#-
    One row per input row: the key, values parsed to numbers, region and channel matched to the
    code seeds (by code, name or slug), blank minutes filled with 0 (flagged), declared
    attributes checked, and every broken rule written into rejection_reason. The rules are the
    macro customer_row_rules, which score_customers applies to new customers too. Nothing is
    dropped here: int_customers_cleaned keeps the valid rows, mart_customers_rejected the rest.
-#}
with base_customers as (

    select * from {{ ref('base_customers') }}

),

final as (

    select *
    from {{ customer_row_rules(
        'base_customers',
        key='position' if customer_columns()['customer_id'] is none else 'typed') }}

)

select * from final
