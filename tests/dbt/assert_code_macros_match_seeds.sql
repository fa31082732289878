-- The code -> slug maps in macros/segmentation_codes.sql agree with the lookup seeds.
with from_macros as (
    {%- for code, slug in region_codes().items() %}
    select
        'region' as dimension,
        {{ code }} as code,
        '{{ slug }}' as slug
    union all
    {%- endfor %}
    {%- for code, slug in channel_codes().items() %}
    select
        'channel' as dimension,
        {{ code }} as code,
        '{{ slug }}' as slug
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

from_seeds as (
    select
        'region' as dimension,
        region_code as code,
        region_slug as slug
    from {{ ref('stg_regions') }}
    union all
    select
        'channel' as dimension,
        channel_code as code,
        channel_slug as slug
    from {{ ref('stg_channels') }}
),

mismatches as (
    select * from from_macros
    except
    select * from from_seeds
    union all
    (
        select * from from_seeds
        except
        select * from from_macros
    )
)

select * from mismatches
