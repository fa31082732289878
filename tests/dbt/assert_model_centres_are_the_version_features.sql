{#-
    The kept centres of this build's model version are its clustering features and nothing
    else: every row's feature is in the version's scaler at the same position, and every
    segment has a centre on every feature of it. A scoring build takes all of a version's rows
    as its centres (and a rebuild compares them with the fit's), so a profile row of a declared
    attribute kept here would make scoring with the version fail. Returns the rows that are
    not a feature of the version and the (segment, feature) pairs that have no centre.
-#}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

centres as (

    select segmentation_centres.*
    from {{ ref('mart_model_centres') }} as segmentation_centres
    inner join model_version
        on segmentation_centres.model_version = model_version.model_version

),

scaler as (

    select version_scaler.*
    from {{ ref('mart_model_scalers') }} as version_scaler
    inner join model_version
        on version_scaler.model_version = model_version.model_version

),

segments as (

    select distinct
        segmentation_method,
        segment_id
    from centres

),

not_features as (

    select
        centres.segmentation_method,
        centres.segment_id,
        centres.feature_name,
        'not a feature of the version' as problem
    from centres
    left join scaler
        on
        centres.feature_name = scaler.feature_name
        and centres.feature_position = scaler.feature_position
    where scaler.feature_name is null

),

missing as (

    select
        segments.segmentation_method,
        segments.segment_id,
        scaler.feature_name,
        'no centre on this feature' as problem
    from segments
    cross join scaler
    left join centres
        on
        segments.segmentation_method = centres.segmentation_method
        and segments.segment_id = centres.segment_id
        and scaler.feature_name = centres.feature_name
    where centres.feature_name is null

),

final as (

    select * from not_features
    union all
    select * from missing

)

select * from final
