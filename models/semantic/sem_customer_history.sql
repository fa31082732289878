{#-
    The membership history as the semantic layer reads it: one row per snapshot and customer
    (mart_customer_segment_history) with a key for the pair. Its snapshot_date is a real time
    dimension: segment size and CLV over time, across snapshots and model versions.
-#}
with history as (

    select * from {{ ref('mart_customer_segment_history') }}

),

final as (

    select
        concat(
            cast(snapshot_date as {{ dbt.type_string() }}), ':',
            cast(customer_id as {{ dbt.type_string() }})
        ) as customer_snapshot_key,
        snapshot_date,
        customer_id,
        model_version,
        segment_id,
        segment_name,
        region_name,
        channel_name,
        clv,
        minutes_watched
    from history

)

select * from final
