-- SQL scoring (score_customers) gives every training customer the segment Python gave it.
-- Returns the customers where the two disagree or that only one of them labelled, and a row
-- when the row counts differ (with no disagreement, equal counts make the pairing one-to-one).
with python_labels as (
    select
        customer_id,
        kmeans_segment_id
    from {{ ref('int_kmeans_assignments') }}
),

sql_labels as (
    select
        customer_id,
        kmeans_segment_id
    from {{ ref('mart_scored_customers') }}
)

select
    null as customer_id,
    (select count(*) as python_rows from python_labels) as python_segment_id,
    (select count(*) as sql_rows from sql_labels) as sql_segment_id
where
    (select count(*) as python_rows from python_labels)
    != (select count(*) as sql_rows from sql_labels)

union all

select
    coalesce(python_labels.customer_id, sql_labels.customer_id) as customer_id,
    python_labels.kmeans_segment_id as python_segment_id,
    sql_labels.kmeans_segment_id as sql_segment_id
from python_labels
full outer join sql_labels on python_labels.customer_id = sql_labels.customer_id
where python_labels.kmeans_segment_id is distinct from sql_labels.kmeans_segment_id
