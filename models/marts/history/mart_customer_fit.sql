{#-
    How well each customer of this build fits its segment: distance to the centre
    (standardised units of the model version), the second nearest segment and the margin
    between the two distances, an outlier flag (distance above the `outlier_quantile` of the
    segment's training distances) and the three features that most set the customer apart from
    the segment's centre, in words.
-#}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

scores as (

    select * from {{ ref('int_customer_scores') }}

),

run_segments as (

    select * from {{ ref('int_run_segments') }}

),

deviations as (

    select * from {{ ref('int_customer_deviations') }}

),

feature_words as (

    select
        feature_position,
        feature_name,
        feature_words
    from {{ ref('int_snapshot_feature_drift') }}

),

kmeans_segments as (

    select * from run_segments
    where segmentation_method = 'kmeans'

),

final as (

    select
        scores.customer_id,
        {{ snapshot_date_literal() }} as snapshot_date,
        cast(model_version.model_version as bigint) as model_version,
        scores.kmeans_segment_id as segment_id,
        nearest.segment_name,
        scores.distance_to_center,
        scores.second_segment_id,
        second_nearest.segment_name as second_segment_name,
        scores.second_distance,
        scores.margin,
        nearest.outlier_distance,
        coalesce(scores.distance_to_center > nearest.outlier_distance, false) as is_outlier,
        first_feature.feature_name as feature_1,
        deviations.deviation_1,
        second_feature.feature_name as feature_2,
        deviations.deviation_2,
        third_feature.feature_name as feature_3,
        deviations.deviation_3,
        concat_ws(
            '; ',
            {{ deviation_phrase('first_feature.feature_words', 'deviations.deviation_1') }},
            {{ deviation_phrase('second_feature.feature_words', 'deviations.deviation_2') }},
            {{ deviation_phrase('third_feature.feature_words', 'deviations.deviation_3') }}
        ) as what_sets_apart
    from scores
    cross join model_version
    inner join kmeans_segments as nearest on scores.kmeans_segment_id = nearest.segment_id
    left join kmeans_segments as second_nearest
        on scores.second_segment_id = second_nearest.segment_id
    left join deviations on scores.customer_id = deviations.customer_id
    left join feature_words as first_feature
        on deviations.feature_1 = first_feature.feature_position
    left join feature_words as second_feature
        on deviations.feature_2 = second_feature.feature_position
    left join feature_words as third_feature
        on deviations.feature_3 = third_feature.feature_position

)

select * from final
