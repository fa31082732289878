{#-
    Segment names that are given, not derived from the profile: in a fit, the k-means segments
    that continue the previous version's keep its names; in a scoring build every segment has
    the stored version's name (both methods). int_segment_names applies them.
-#}
with run as (

    select * from {{ ref('int_segmentation_run') }}

),

int_kmeans_fit as (

    select * from {{ ref('int_kmeans_fit') }}

),

stored_segments as (

    select * from {{ ref('int_stored_segments') }}

),

final as (

    select
        'kmeans' as segmentation_method,
        int_kmeans_fit.kmeans_segment_id as segment_id,
        int_kmeans_fit.previous_segment_name as segment_name
    from int_kmeans_fit
    cross join run
    where run.mode = 'fit' and int_kmeans_fit.previous_segment_name != ''
    union all
    select
        stored_segments.segmentation_method,
        stored_segments.segment_id,
        stored_segments.segment_name
    from stored_segments
    inner join run on stored_segments.model_version = run.model_version
    where run.mode = 'score'

)

select * from final
