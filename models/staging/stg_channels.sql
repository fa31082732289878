with channel_codes as (

    select * from {{ ref('channel_codes') }}

),

final as (

    select
        cast(channel_code as integer) as channel_code,
        channel_name,
        channel_slug,
        is_social_media
    from channel_codes

)

select * from final
