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

    select * from {{ ref('customer_deviations') }}

),

kmeans_segments as (

    select * from run_segments
    where segmentation_method = 'kmeans'

),

top_features as (

    select
        customer_id,
        max(case when deviation_rank = 1 then feature_name end) as feature_1,
        max(case when deviation_rank = 1 then deviation_sd end) as deviation_1,
        max(
            case
                when deviation_rank = 1
                    then concat(
                        feature_words, ' ', {{ format_number('abs(deviation_sd)', 1) }}, ' sd ',
                        case when deviation_sd >= 0 then 'above' else 'below' end
                    )
            end
        ) as phrase_1,
        max(case when deviation_rank = 2 then feature_name end) as feature_2,
        max(case when deviation_rank = 2 then deviation_sd end) as deviation_2,
        max(
            case
                when deviation_rank = 2
                    then concat(
                        feature_words, ' ', {{ format_number('abs(deviation_sd)', 1) }}, ' sd ',
                        case when deviation_sd >= 0 then 'above' else 'below' end
                    )
            end
        ) as phrase_2,
        max(case when deviation_rank = 3 then feature_name end) as feature_3,
        max(case when deviation_rank = 3 then deviation_sd end) as deviation_3,
        max(
            case
                when deviation_rank = 3
                    then concat(
                        feature_words, ' ', {{ format_number('abs(deviation_sd)', 1) }}, ' sd ',
                        case when deviation_sd >= 0 then 'above' else 'below' end
                    )
            end
        ) as phrase_3
    from deviations
    group by customer_id

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
        top_features.feature_1,
        top_features.deviation_1,
        top_features.feature_2,
        top_features.deviation_2,
        top_features.feature_3,
        top_features.deviation_3,
        concat_ws('; ', top_features.phrase_1, top_features.phrase_2, top_features.phrase_3)
            as what_sets_apart
    from scores
    cross join model_version
    inner join kmeans_segments as nearest on scores.kmeans_segment_id = nearest.segment_id
    left join kmeans_segments as second_nearest
        on scores.second_segment_id = second_nearest.segment_id
    left join top_features on scores.customer_id = top_features.customer_id

)

select * from final
