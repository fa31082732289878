with channel_codes as (

    select * from {{ ref('channel_codes') }}

),

final as (

    select
        cast(channel_code as integer) as channel_code,
        channel_name,
        channel_slug,
        coalesce(
            nullif(trim(channel_persona), ''),
            {{ dbt.concat(['channel_name', "' Customers'"]) }}
        ) as channel_persona,
        is_social_media
    from channel_codes

)

select * from final
