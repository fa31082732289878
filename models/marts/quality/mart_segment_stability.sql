{#- Per k-means segment: its name, size and how reproducible it is under bootstrap refits. The
    class thresholds are settings (stability.stable_jaccard, recovered_jaccard, doubtful_jaccard;
    customer_segmentation.settings). -#}
with stability as (

    select * from {{ ref('int_segment_stability') }}

),

segments as (

    select * from {{ ref('mart_segments') }}
    where segmentation_method = 'kmeans'

),

settings as (

    select * from {{ ref('int_segmentation_settings') }}

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
            when stability.mean_jaccard >= settings.stability__stable_jaccard then 'stable'
            when stability.mean_jaccard >= settings.stability__recovered_jaccard
                then 'fairly stable'
            when stability.mean_jaccard >= settings.stability__doubtful_jaccard then 'doubtful'
            else 'unstable'
        end as stability_class,
        stability.n_resamples,
        stability.sample_rows,
        stability.random_state
    from segments
    inner join stability on segments.segment_id = stability.kmeans_segment_id
    cross join settings

)

select * from final
