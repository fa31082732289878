{#-
    MetricFlow's time spine: one row per day. The data has no dates, so every metric is
    measured at one day, the `snapshot_date` var; the spine covers a year either side of it
    and of every snapshot kept in mart_customer_segment_history.
-#}
{#- The kept membership history has earlier (or later) snapshots: cover them too. -#}
{%- set first_day, last_day = snapshot_date(), snapshot_date() %}
{%- set kept = stored_relation('mart_customer_segment_history') %}
{%- if kept is not none %}
    {%- set span = run_query(
        'select cast(min(snapshot_date) as ' ~ dbt.type_string() ~ '), cast(max(snapshot_date) as '
        ~ dbt.type_string() ~ ') from ' ~ kept) %}
    {%- if span.rows[0][0] %}
        {%- set first_day = [first_day, span.rows[0][0]] | min %}
        {%- set last_day = [last_day, span.rows[0][1]] | max %}
    {%- endif %}
{%- endif %}
with days as (

    {{ dbt.date_spine(
        'day',
        dbt.dateadd('day', -366, "cast('" ~ first_day ~ "' as date)"),
        dbt.dateadd('day', 367, "cast('" ~ last_day ~ "' as date)")
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
