{#-
    Per k-means segment of this build's model version: its share of customers and the mean
    distance of its customers to the centre, at training and in this snapshot, and the share
    of this snapshot's customers beyond the segment's outlier distance.
-#}
with run_segments as (

    select * from {{ ref('int_run_segments') }}

),

scores as (

    select * from {{ ref('int_customer_scores') }}

),

snapshot_total as (

    select count(*) as customers from scores

),

snapshot_segments as (

    select
        scores.kmeans_segment_id as segment_id,
        count(*) as customers,
        {{ exact_avg('scores.distance_to_center', scale=18) }} as mean_distance,
        sum(
            case when scores.distance_to_center > run_segments.outlier_distance then 1 else 0 end
        ) as outliers
    from scores
    inner join run_segments
        on
        run_segments.segmentation_method = 'kmeans'
        and scores.kmeans_segment_id = run_segments.segment_id
    group by scores.kmeans_segment_id

),

final as (

    select
        run_segments.model_version,
        run_segments.segment_id,
        run_segments.segment_name,
        run_segments.training_share,
        coalesce(
            {{ ratio('snapshot_segments.customers', 'snapshot_total.customers') }}, 0.0
        ) as snapshot_share,
        coalesce(
            {{ ratio('snapshot_segments.customers', 'snapshot_total.customers') }}, 0.0
        ) - run_segments.training_share as share_change,
        run_segments.training_mean_distance,
        snapshot_segments.mean_distance as snapshot_mean_distance,
        snapshot_segments.mean_distance / nullif(run_segments.training_mean_distance, 0) - 1
            as mean_distance_rise,
        coalesce(
            {{ ratio('snapshot_segments.outliers', 'snapshot_segments.customers') }}, 0.0
        ) as outlier_share
    from run_segments
    cross join snapshot_total
    left join snapshot_segments on run_segments.segment_id = snapshot_segments.segment_id
    where run_segments.segmentation_method = 'kmeans'

)

select * from final
