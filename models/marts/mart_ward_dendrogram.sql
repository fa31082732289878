{#-
    The Ward merge table, ready to draw: each merge joins two nodes (leaves 0..m-1, merged
    clusters m, m+1, ...) at a height. Merges above the cut are the ones the cut into this
    build's k (int_segment_count: the n_segments var or the auto choice) undoes.
-#}
with merges as (

    select * from {{ ref('ward_merges') }}

),

segment_count as (

    select * from {{ ref('int_segment_count') }}

),

final as (

    select
        merges.merge_step,
        merges.left_node,
        merges.right_node,
        merges.height,
        merges.size as customers,
        merges.n_clusters_after,
        (merges.n_clusters_after < segment_count.n_segments) as is_above_cut
    from merges
    cross join segment_count

)

select * from final
