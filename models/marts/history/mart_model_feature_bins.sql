{#-
    KEPT: every model version's training distribution of each feature (decile bins of the raw
    values, with the share of training customers in each), the reference of the population
    stability index in mart_feature_drift.
-#}
{{ kept_table('model_version') }}
with version_rows as (

    {{ new_version_rows('mart_model_feature_bins', ref('int_version_feature_bins')) }}

)

select * from version_rows
