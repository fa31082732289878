{#- Per k-means segment: its name, size and how reproducible it is under bootstrap refits. -#}
with stability as (

    select * from {{ ref('int_segment_stability') }}

),

segments as (

    select * from {{ ref('mart_segments') }}
    where segmentation_method = 'kmeans'

),

final as (

    select
        segments.segmentation_method,
        segments.segment_id,
        segments.segment_name,
        segments.customers,
        stability.mean_jaccard,
        stability.min_jaccard,
        stability.share_of_resamples_recovered,
        case
            when stability.mean_jaccard >= 0.85 then 'stable'
            when stability.mean_jaccard >= 0.75 then 'fairly stable'
            when stability.mean_jaccard >= 0.5 then 'doubtful'
            else 'unstable'
        end as stability_class,
        stability.n_resamples,
        stability.sample_rows,
        stability.random_state
    from segments
    inner join stability on segments.segment_id = stability.kmeans_segment_id

)

select * from final
