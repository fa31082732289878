{#- The tier thresholds seed (seeds/recommendation_tiers.csv), typed: one row per dimension and
    priority. Text columns go through seed_text (macros/cross_database.sql), so a blank cell is a
    null on every adapter. -#}
with recommendation_tiers as (

    select * from {{ ref('recommendation_tiers') }}

),

final as (

    select
        {{ seed_text('dimension') }} as dimension,
        priority,
        {{ seed_text('tier') }} as tier,
        {{ seed_text('measure') }} as measure,
        min_value,
        max_value
    from recommendation_tiers

)

select * from final
