{#-
    The Ward merge table, ready to draw: each merge joins two nodes (leaves 0..m-1, merged
    clusters m, m+1, ...) at a height. Merges above the cut are the ones the cut into this
    build's k (int_segment_count: the n_segments var or the auto choice) undoes.
-#}
with int_ward_merges as (

    select * from {{ ref('int_ward_merges') }}

),

segment_count as (

    select * from {{ ref('int_segment_count') }}

),

final as (

    select
        int_ward_merges.merge_step,
        int_ward_merges.left_node,
        int_ward_merges.right_node,
        int_ward_merges.height,
        int_ward_merges.size as customers,
        int_ward_merges.n_clusters_after,
        (int_ward_merges.n_clusters_after < segment_count.n_segments) as is_above_cut
    from int_ward_merges
    cross join segment_count

)

select * from final
