{#-
    KEPT: the centres of every model version, one row per version, method, segment and
    feature (standardised units of the version's scaler). Appended when a build makes a new
    version, never rebuilt (full_refresh false; see macros/segmentation_history.sql).

    Only the clustering features: mart_segment_centroids also profiles the declared attributes
    that are not features (is_segmentation_feature false, z-scores against all customers, not
    the version's scaler). A scoring build reads every row of a version as its centres, and a
    rebuild is recognised by comparing them with the fit's, so profile rows must not be kept.
-#}
{{ kept_table('model_version') }}
with segmentation_centres as (

    select * from {{ ref('mart_segment_centroids') }}
    where is_segmentation_feature

),

version_rows as (

    {{ new_version_rows('mart_model_centres', 'segmentation_centres') }}

)

select * from version_rows
