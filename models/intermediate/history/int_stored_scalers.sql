{#-
    The kept table mart_model_scalers as it was when this build started: every stored
    version's scaler (whatever columns int_feature_scaler had when the version was fitted).
    Empty, with int_feature_scaler's columns, when nothing is kept yet.
-#}
{%- set stored = stored_relation('mart_model_scalers') %}
-- depends_on: {{ ref('int_feature_scaler') }}
with stored as (

    {%- if stored is none %}
    select
        cast(null as bigint) as model_version,
        scaler.*
    from {{ ref('int_feature_scaler') }} as scaler
    where 1 = 0
    {%- else %}
    select * from {{ stored }}
    {%- endif %}

)

select * from stored
