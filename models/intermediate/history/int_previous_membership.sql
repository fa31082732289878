{#-
    The customers of the latest snapshot scored with the latest stored version, as kept in
    mart_customer_segment_history when this build started: the "shared customers" a refit is
    matched on (see customer_segmentation.history.match_segments). Empty before the first
    snapshot.
-#}
{%- set stored = stored_relation('mart_customer_segment_history') %}
-- depends_on: {{ ref('int_customers_cleaned') }}
with versions as (

    select * from {{ ref('int_stored_versions') }}

),

history as (

    {%- if stored is none %}
    select
        customers.customer_id,
        cast(null as date) as snapshot_date,
        cast(null as bigint) as model_version,
        cast(null as bigint) as segment_id
    from {{ ref('int_customers_cleaned') }} as customers
    where 1 = 0
    {%- else %}
    select
        customer_id,
        snapshot_date,
        model_version,
        segment_id
    from {{ stored }}
    {%- endif %}

),

latest_version as (

    select max(model_version) as model_version from versions

),

latest_snapshot as (

    select max(history.snapshot_date) as snapshot_date
    from history
    inner join latest_version on history.model_version = latest_version.model_version

),

final as (

    select
        history.customer_id,
        history.segment_id,
        history.snapshot_date,
        history.model_version
    from history
    inner join latest_version on history.model_version = latest_version.model_version
    inner join latest_snapshot on history.snapshot_date = latest_snapshot.snapshot_date

)

select * from final
