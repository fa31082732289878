{#-
    Choosing k: every k of the range with its criteria, which k each criterion favours, the
    auto choice and the k this build used.
-#}
with k_selection as (

    select * from {{ ref('k_selection') }}

),

segment_count as (

    select * from {{ ref('int_segment_count') }}

),

final as (

    select
        k_selection.n_clusters,
        k_selection.inertia,
        k_selection.n_starts,
        k_selection.n_starts_at_best,
        k_selection.silhouette,
        k_selection.davies_bouldin,
        k_selection.calinski_harabasz,
        k_selection.ward_merge_height,
        k_selection.ward_height_gap,
        k_selection.elbow_distance,
        k_selection.is_elbow,
        k_selection.favoured_by,
        k_selection.is_auto_choice,
        k_selection.n_clusters = segment_count.n_segments as is_build_k,
        k_selection.sample_rows,
        k_selection.silhouette_sample_rows,
        k_selection.auto_rule
    from k_selection
    cross join segment_count

)

select * from final
