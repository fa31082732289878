{#-
    Each region's channel mix as the semantic layer reads it: mart_region_channel_mix (one
    row per region, grouping and channel or group) plus a one-column key (`mix_key`) and the
    `snapshot_date` every measure is aggregated at.
-#}
with mix as (

    select * from {{ ref('mart_region_channel_mix') }}

),

final as (

    select
        region_name || ':' || channel_grouping || ':' || channel_name as mix_key,
        cast('{{ snapshot_date() }}' as date) as snapshot_date,
        region_name,
        is_all_regions,
        channel_grouping,
        channel_name,
        is_social_media,
        customers,
        share_of_region
    from mix

)

select * from final
