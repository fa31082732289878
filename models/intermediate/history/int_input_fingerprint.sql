{#-
    One row: how many customers this build segments and a fingerprint of them (key and
    selected features, order-independent), stored with each version ("fitted on what") and
    compared by segmentation_mode auto (the same input and settings = a rebuild).
-#}
with encoded as (

    select * from {{ ref('int_customer_features_encoded') }}

),

fingerprint as (

    {{ input_fingerprint('encoded', ['customer_id'] + segmentation_features()) }}

)

select * from fingerprint
