{#-
    The Ward merge table, ready to draw: each merge joins two nodes (leaves 0..m-1, merged
    clusters m, m+1, ...) at a height. Merges above the cut are the ones the n_segments cut
    undoes.
-#}
with merges as (

    select * from {{ ref('ward_merges') }}

),

final as (

    select
        merge_step,
        left_node,
        right_node,
        height,
        size as customers,
        n_clusters_after,
        n_clusters_after < {{ var('n_segments') }} as is_above_cut
    from merges

)

select * from final
