-- Every input row is either segmented or quarantined, never both, never neither.
with input_rows as (
    select count(*) as n from {{ ref('base_customers') }}
),

segmented as (
    select count(*) as n from {{ ref('mart_customer_segments') }}
),

rejected as (
    select count(*) as n from {{ ref('mart_customers_rejected') }}
),

overlap as (
    select count(*) as n
    from {{ ref('mart_customer_segments') }} as fct
    inner join {{ ref('mart_customers_rejected') }} as rejected
        on fct.customer_id = rejected.customer_id
)

select
    input_rows.n as rows_in,
    segmented.n as rows_segmented,
    rejected.n as rows_rejected,
    overlap.n as rows_in_both
from input_rows, segmented, rejected, overlap
where input_rows.n != segmented.n + rejected.n or overlap.n > 0
