{#- The recommendation rules seed (seeds/recommendation_rules.csv), typed: one row per rule, in
    priority order of trial. Text columns go through seed_text (macros/cross_database.sql). -#}
with recommendation_rules as (

    select * from {{ ref('recommendation_rules') }}

),

final as (

    select
        priority,
        {{ seed_text('recommendation') }} as recommendation,
        {{ seed_text('size_tier') }} as size_tier,
        {{ seed_text('value_tier') }} as value_tier,
        {{ seed_text('engagement_tier') }} as engagement_tier,
        {{ seed_text('rationale') }} as rationale
    from recommendation_rules

)

select * from final
