-- Input values are matched to the code seeds by code, name or slug (case-insensitive): no text
-- may stand for two lines. Returns each text that two codes of one seed claim.
{%- set seeds = [['region', 'stg_regions'], ['channel', 'stg_channels']] %}
{%- for name, lookup in seeds %}

{{ 'with' if loop.first else ',' }} {{ name }}_matches as (
    {{ code_lookup_candidates(ref(lookup), name) }}
)
{%- endfor %}

{%- for name, lookup in seeds %}

select
    '{{ name }}_codes' as seed_name,
    {{ name }}_matches.match_text,
    count(distinct {{ name }}_matches.code) as codes
from {{ name }}_matches
group by {{ name }}_matches.match_text
having count(distinct {{ name }}_matches.code) > 1
{%- if not loop.last %}

union all
{%- endif %}
{%- endfor %}
