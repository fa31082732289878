{#-
    Per method and segment, what this build's model version looks like on its training data:
    name, size, share, the mean distance of its customers to the centre and the distance above
    which a customer is an outlier (the `outlier_quantile` of the training distances; k-means
    only). Computed on this build's customers; kept only when the build makes a new version.
-#}
{%- set outlier_quantile = one_row(ref('int_segmentation_run')).get('outlier_quantile', 0.99) %}
with run as (

    select * from {{ ref('int_segmentation_run') }}

),

profiles as (

    select * from {{ ref('int_segment_profiles') }}

),

int_segment_names as (

    select * from {{ ref('int_segment_names') }}

),

scores as (

    select * from {{ ref('int_customer_scores') }}

),

lineage as (

    select * from {{ ref('int_segment_lineage_links') }}

),

distances as (

    select
        scores.kmeans_segment_id as segment_id,
        {{ exact_avg('scores.distance_to_center', scale=18) }} as training_mean_distance,
        {{ quantile('scores.distance_to_center', outlier_quantile) }} as outlier_distance,
        max(run.outlier_quantile) as outlier_quantile
    from scores
    cross join run
    group by scores.kmeans_segment_id

),

lineage_status as (

    select
        segment_id,
        case
            when max(case when status = 'split' then 1 else 0 end) = 1 then 'split'
            when max(case when status = 'merged' then 1 else 0 end) = 1 then 'merged'
            when max(case when status = 'new' then 1 else 0 end) = 1 then 'new'
            else 'kept'
        end as lineage_status
    from lineage
    where segment_id > 0
    group by segment_id

),

final as (

    select
        profiles.segmentation_method,
        profiles.segment_id,
        int_segment_names.segment_name,
        int_segment_names.naming_rule,
        profiles.customers as training_customers,
        profiles.share_of_customers as training_share,
        distances.training_mean_distance,
        distances.outlier_distance,
        distances.outlier_quantile,
        lineage_status.lineage_status
    from profiles
    inner join int_segment_names
        on
        profiles.segmentation_method = int_segment_names.segmentation_method
        and profiles.segment_id = int_segment_names.segment_id
    left join distances
        on profiles.segmentation_method = 'kmeans' and profiles.segment_id = distances.segment_id
    left join lineage_status
        on
        profiles.segmentation_method = 'kmeans'
        and profiles.segment_id = lineage_status.segment_id

)

select * from final
