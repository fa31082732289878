{#-
    The SQL scoring of the model version (int_customer_scores, what the membership history
    records) gives every customer the label of the Python assignment (int_kmeans_assignments), in
    fitting and in scoring builds alike. Returns the customers where they differ or where one
    side misses the customer.
-#}
with python_labels as (

    select * from {{ ref('int_kmeans_assignments') }}

),

sql_labels as (

    select * from {{ ref('int_customer_scores') }}

),

final as (

    select
        coalesce(python_labels.customer_id, sql_labels.customer_id) as customer_id,
        python_labels.kmeans_segment_id as python_segment_id,
        sql_labels.kmeans_segment_id as sql_segment_id
    from python_labels
    full outer join sql_labels on python_labels.customer_id = sql_labels.customer_id
    where
        python_labels.customer_id is null
        or sql_labels.customer_id is null
        or python_labels.kmeans_segment_id != sql_labels.kmeans_segment_id

)

select * from final
