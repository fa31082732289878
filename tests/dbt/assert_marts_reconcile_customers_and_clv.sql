-- Customer counts and CLV totals agree between the cleaned input, the fact table and every
-- mart (per segmentation method where the mart has one).
with expected as (
    select
        count(*) as customers,
        sum(clv) as total_clv
    from {{ ref('int_customers_cleaned') }}
),

observed as (
    select
        'mart_customer_segments' as observed_in,
        count(*) as customers,
        sum(clv) as total_clv
    from {{ ref('mart_customer_segments') }}
    union all
    select
        'mart_segments/' || segmentation_method as observed_in,
        sum(customers) as customers,
        sum(total_clv) as total_clv
    from {{ ref('mart_segments') }}
    group by segmentation_method
    union all
    select
        'mart_segment_region_channel/' || segmentation_method as observed_in,
        sum(customers) as customers,
        sum(total_clv) as total_clv
    from {{ ref('mart_segment_region_channel') }}
    group by segmentation_method
    union all
    select
        'mart_region_channel_performance' as observed_in,
        sum(customers) as customers,
        sum(total_clv) as total_clv
    from {{ ref('mart_region_channel_performance') }}
)

select
    observed.*,
    expected.customers as expected_customers,
    expected.total_clv as expected_clv
from observed
cross join expected
where
    observed.customers != expected.customers
    -- Sums of millions of doubles taken in different orders differ in the last digits
    -- (about 1e-11 relative at 10M customers): half a cent, or 1e-9 relative if larger.
    or (
        abs(observed.total_clv - expected.total_clv)
        > greatest(0.005, 1e-9 * abs(expected.total_clv))
    )
