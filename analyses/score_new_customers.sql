{#-
    Score a table of new customers in SQL, without refitting (see docs/scaling.md, "Scoring new
    customers in SQL"). Compile it with `dbt compile --select score_new_customers` and run the
    SQL from target/compiled/, or copy the select into a model of your own.

    Replace the inline rows with your table, e.g. {{ score_customers(ref('new_customers')) }}
    or {{ score_customers(source('crm', 'accounts'), customer_id='account_id', clv='ltv') }}.
-#}
select *
from {{ score_customers("(select * from (values
        (1, 3197.0, 205.42, 2, 4),
        (2, null, 149.99, 0, 1),
        (3, 120.0, -1.0, 1, 2)
    ) as new_customers(customer_id, minutes_watched, clv, region, channel))") }}
order by customer_id
