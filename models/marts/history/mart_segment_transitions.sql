{#-
    From-segment -> to-segment between consecutive snapshots of mart_customer_segment_history:
    customers and CLV per pair, with customers new at the later snapshot (from_segment_id
    null) and customers gone from it (to_segment_id null) as their own rows. Segment ids are
    stable across model versions (a refit keeps the ids of the segments it continues), so a
    pair compares like with like. Rebuilt from the history on every build.
-#}
with transitions as (

    select * from {{ ref('int_history_transitions') }}

),

final as (

    select
        from_snapshot_date,
        to_snapshot_date,
        max(from_model_version) as from_model_version,
        max(to_model_version) as to_model_version,
        transition_type,
        from_segment_id,
        coalesce(from_segment_name, '(new customers)') as from_segment_name,
        to_segment_id,
        coalesce(to_segment_name, '(departed customers)') as to_segment_name,
        count(*) as customers,
        {{ exact_sum('coalesce(to_clv, from_clv)') }} as clv,
        {{ exact_sum('from_clv') }} as from_clv,
        {{ exact_sum('to_clv') }} as to_clv
    from transitions
    group by
        from_snapshot_date,
        to_snapshot_date,
        transition_type,
        from_segment_id,
        from_segment_name,
        to_segment_id,
        to_segment_name

)

select * from final
