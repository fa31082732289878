{#-
    The leaves the Ward tree is built on, with their size and mean standardised features.
    Exact Ward: one leaf per customer. Two-stage Ward (many customers): one leaf per
    micro-cluster, weighted by its size. leaf ids are 0-based, as in the merge table.
-#}
with leaves as (

    select * from {{ ref('int_ward_leaves') }}

),

features as (

    select * from {{ ref('int_customer_features_scaled') }}

),

final as (

    select
        leaves.ward_leaf_id,
        count(*) as n_customers,
        {%- for feature in segmentation_features() %}
        {{ exact_avg('features.' ~ feature, scale=24) }} as {{ feature }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from leaves
    inner join features on leaves.customer_id = features.customer_id
    group by leaves.ward_leaf_id

)

select * from final
