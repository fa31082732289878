{#-
    The number of segments this build uses, in one row: the `n_segments` var, or with
    `n_segments: auto` the k that int_k_selection marks as the auto choice (the largest Ward
    merge-height gap in the k range beyond k = 2; see docs/methodology.md, "Choosing k"). Every
    model that needs k reads it here, so a fixed k and the auto choice reach k-means, Ward and the
    marts the same way.

    A scoring build (int_segmentation_run) fits nothing: k is the scored model version's
    (n_segments_source 'model_version').

    Only `n_segments: auto` reads int_k_selection, so only that branch has its CTEs (an unused CTE
    in the other branch is dead SQL). The depends_on comment keeps int_k_selection upstream of this
    model whatever the var says: the same DAG, build order and lineage for both settings.
-#}
{%- set setting = var('n_segments') | string | trim | lower -%}
{%- if setting != 'auto' and not (setting.isdigit() and setting | int >= 1) -%}
    {{ exceptions.raise_compiler_error(
        "var n_segments must be a whole number of at least 1 or 'auto', got '" ~ var('n_segments') ~ "'"
    ) }}
{%- endif %}
-- depends_on: {{ ref('int_k_selection') }}
with run as (

    select * from {{ ref('int_segmentation_run') }}

),

stored_versions as (

    select * from {{ ref('int_stored_versions') }}

),
{%- if setting == 'auto' %}

int_k_selection as (

    select * from {{ ref('int_k_selection') }}

),

auto_choice as (

    select
        n_clusters as n_segments,
        auto_rule
    from int_k_selection
    where is_auto_choice

),

fitted as (

    select
        cast(n_segments as integer) as n_segments,
        'auto' as n_segments_source,
        auto_rule as selection_rule
    from auto_choice

)
{%- else %}

fitted as (

    select
        cast({{ setting | int }} as integer) as n_segments,
        'var' as n_segments_source,
        'the n_segments var' as selection_rule

)
{%- endif %},

scored as (

    select
        cast(stored_versions.n_segments as integer) as n_segments,
        'model_version' as n_segments_source,
        concat('the k of model version ', cast(run.model_version as {{ dbt.type_string() }}))
            as selection_rule
    from stored_versions
    inner join run on stored_versions.model_version = run.model_version
    where run.mode = 'score'

),

final as (

    select
        fitted.n_segments,
        fitted.n_segments_source,
        fitted.selection_rule
    from fitted
    cross join run
    where run.mode = 'fit'
    union all
    select
        scored.n_segments,
        scored.n_segments_source,
        scored.selection_rule
    from scored

)

select * from final
