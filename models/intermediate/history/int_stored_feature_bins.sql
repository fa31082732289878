{#-
    The kept table mart_model_feature_bins as it was when this build started (a table,
    so the rows this build appends later are not seen by the models that decide what to fit or
    score). Read through stored_rows(), not ref(): see macros/segmentation_history.sql.
-#}
with stored as (

    {{ stored_rows('mart_model_feature_bins') }}

)

select * from stored
