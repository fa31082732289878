with region_codes as (

    select * from {{ ref('region_codes') }}

),

final as (

    select
        cast(region_code as integer) as region_code,
        region_name,
        region_slug
    from region_codes

)

select * from final
