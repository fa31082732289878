{#-
    The customers whose segment changed between consecutive snapshots, one row per customer
    and pair: moved (both snapshots, another segment), new (only the later one) and departed
    (only the earlier one), with both segments, CLVs and the customer's region and channel.
-#}
with transitions as (

    select * from {{ ref('int_history_transitions') }}

),

final as (

    select
        from_snapshot_date,
        to_snapshot_date,
        customer_id,
        transition_type,
        from_segment_id,
        from_segment_name,
        to_segment_id,
        to_segment_name,
        from_model_version,
        to_model_version,
        from_clv,
        to_clv,
        region_name,
        channel_name
    from transitions
    where transition_type != 'stayed'

)

select * from final
