{#-
    Every candidate clustering feature, unscaled: the numbers as they are, the codes as numbers,
    one 0/1 column per line of the channel and region seeds (one-hot), the declared numeric
    attributes, and one 0/1 column per category of each declared categorical attribute. The `segmentation_features` var picks
    which of these the clustering sees. The encoding itself is the macro
    customer_feature_expressions, which score_customers reuses to encode new customers.

    A view: the encoding is a few cheap expressions, and writing every candidate feature of
    millions of customers to a table cost more than recomputing them in the two readers.
-#}
{{ config(materialized='view') }}

with customers as (

    select * from {{ ref('int_customers_cleaned') }}

),

final as (

    select
        customer_id,
        customer_order,
        {%- for name, expression, group in customer_feature_expressions() %}
        {{ expression }} as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from customers

)

select * from final
