{#-
    The Ward merge table, ready to draw: each merge joins two nodes (leaves 0..m-1, merged
    clusters m, m+1, ...) at a height. Merges above the cut are the ones the cut into this
    build's k (int_segment_count: the n_segments var or the auto choice) undoes.
-#}
with ward_merges as (

    select * from {{ ref('ward_merges') }}

),

segment_count as (

    select * from {{ ref('int_segment_count') }}

),

final as (

    select
        ward_merges.merge_step,
        ward_merges.left_node,
        ward_merges.right_node,
        ward_merges.height,
        ward_merges.size as customers,
        ward_merges.n_clusters_after,
        (ward_merges.n_clusters_after < segment_count.n_segments) as is_above_cut
    from ward_merges
    cross join segment_count

)

select * from final
