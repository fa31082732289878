{#-
    The scaler this build standardises with: int_feature_scaler (this input's means and
    standard deviations) when it fits, the scored model version's kept scaler when it scores.
    int_customer_features_scaled and score_customers read it, so a scoring build places every
    customer in the version's standardised space. Columns: int_feature_scaler's (a column an
    older version's kept scaler lacks is null).
-#}
{%- set columns = scaler_column_names() %}
{%- set stored_columns = relation_column_names(ref('int_stored_scalers'), columns) %}
with run as (

    select * from {{ ref('int_segmentation_run') }}

),

current_scaler as (

    select * from {{ ref('int_feature_scaler') }}

),

stored as (

    select * from {{ ref('int_stored_scalers') }}

),

final as (

    select
        -- every column of int_feature_scaler
        {%- for column in columns %}
        current_scaler.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from current_scaler
    cross join run
    where run.mode = 'fit'
    union all
    select
        -- the same columns of the version's kept scaler (null where an older one lacks one)
        {%- for column in columns %}
        {{ ('stored.' ~ column) if column in stored_columns else ('null as ' ~ column) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from stored
    inner join run on stored.model_version = run.model_version
    where run.mode = 'score'

)

select * from final
