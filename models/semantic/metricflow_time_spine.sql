{#-
    MetricFlow's time spine: one row per day. The data has no dates, so every metric is
    measured at one day, the `snapshot_date` var; the spine covers a year either side of it.
-#}
with days as (

    {{ dbt.date_spine(
        'day',
        dbt.dateadd('day', -366, "cast('" ~ snapshot_date() ~ "' as date)"),
        dbt.dateadd('day', 367, "cast('" ~ snapshot_date() ~ "' as date)")
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
