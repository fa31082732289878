{#-
    Choosing k: every k of the range with its criteria, which k each criterion favours, the
    auto choice and the k this build used.
-#}
with int_k_selection as (

    select * from {{ ref('int_k_selection') }}

),

segment_count as (

    select * from {{ ref('int_segment_count') }}

),

final as (

    select
        int_k_selection.n_clusters,
        int_k_selection.inertia,
        int_k_selection.n_starts,
        int_k_selection.n_starts_at_best,
        int_k_selection.silhouette,
        int_k_selection.davies_bouldin,
        int_k_selection.calinski_harabasz,
        int_k_selection.ward_merge_height,
        int_k_selection.ward_height_gap,
        int_k_selection.elbow_distance,
        int_k_selection.is_elbow,
        int_k_selection.favoured_by,
        int_k_selection.is_auto_choice,
        int_k_selection.n_clusters = segment_count.n_segments as is_build_k,
        int_k_selection.sample_rows,
        int_k_selection.silhouette_sample_rows,
        int_k_selection.auto_rule
    from int_k_selection
    cross join segment_count

)

select * from final
