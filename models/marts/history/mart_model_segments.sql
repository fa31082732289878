{#-
    KEPT: every model version's segments (both methods): id, name, training size and share, the
    mean training distance to the centre and the outlier distance (k-means), and how each
    k-means segment relates to the previous version (lineage_status: kept, new, split, merged).
-#}
{{ kept_table('model_version') }}
with version_rows as (

    {{ new_version_rows('mart_model_segments', ref('int_version_segments')) }}

)

select * from version_rows
