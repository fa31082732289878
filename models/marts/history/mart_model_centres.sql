{#-
    KEPT: the centres of every model version, one row per version, method, segment and
    feature (standardised units of the version's scaler). Appended when a build makes a new
    version, never rebuilt (full_refresh false; see macros/segmentation_history.sql).
-#}
{{ kept_table('model_version') }}
with version_rows as (

    {{ new_version_rows('mart_model_centres', ref('mart_segment_centroids')) }}

)

select * from version_rows
