{#-
    One row per build: how good the segmentation is. k and where it came from; the k-means
    search (inertia, starts that reached it, run time, strategy); Ward's inertia on the same
    features; agreement of the two methods (adjusted Rand index, normalised mutual information:
    scikit-learn's, from int_method_agreement); and the k-means segments' bootstrap stability.
-#}
with segment_count as (

    select * from {{ ref('int_segment_count') }}

),

int_kmeans_fit as (

    select * from {{ ref('int_kmeans_fit') }}

),

segments as (

    select * from {{ ref('int_customer_segments') }}

),

features as (

    select * from {{ ref('int_customer_features_scaled') }}

),

ward_segment_means as (

    select * from {{ ref('int_ward_segment_centers') }}

),

stability as (

    select * from {{ ref('int_segment_stability') }}

),

int_k_selection as (

    select * from {{ ref('int_k_selection') }}

),

kmeans_search as (

    select
        max(inertia) as kmeans_inertia,
        max(n_starts) as kmeans_n_starts,
        max(n_starts_at_best) as kmeans_n_starts_at_best,
        max(search_strategy) as kmeans_search_strategy,
        max(random_state) as random_state
    from int_kmeans_fit

),

ward_segment_dispersion as (

    {#- Within-segment sum of squares: squared distances to the segment mean, summed
        order-independently (exact_sum) so every build gives the same figure to the last bit. -#}
    {%- set squared = [] -%}
    {%- for feature in segmentation_features() -%}
        {%- do squared.append(
            'power(features.' ~ feature ~ ' - ward_segment_means.' ~ feature ~ ', 2)') -%}
    {%- endfor %}
    select
        segments.ward_segment_id,
        {{ exact_sum(squared | join(' + '), scale=12) }} as within_sum_of_squares
    from segments
    inner join features on segments.customer_id = features.customer_id
    inner join ward_segment_means on segments.ward_segment_id = ward_segment_means.ward_segment_id
    group by segments.ward_segment_id

),

ward_inertia as (

    select {{ exact_sum('within_sum_of_squares', scale=12) }} as ward_inertia
    from ward_segment_dispersion

),

agreement as (

    {#- Adjusted Rand index and normalised mutual information, computed with scikit-learn
        from the k-means x Ward cell counts (int_method_agreement). -#}
    select * from {{ ref('int_method_agreement') }}

),

k_selection_at_k as (

    {#- What the int_k_selection search found at this build's k, as a cross-check of the fit. -#}
    select
        max(int_k_selection.inertia) as k_selection_inertia,
        max(int_k_selection.sample_rows) as k_selection_sample_rows
    from int_k_selection
    inner join segment_count on int_k_selection.n_clusters = segment_count.n_segments

),

stability_summary as (

    select
        {{ exact_avg('mean_jaccard', scale=18) }} as kmeans_mean_stability,
        min(mean_jaccard) as kmeans_min_stability,
        max(n_resamples) as stability_n_resamples
    from stability

),

final as (

    select
        segment_count.n_segments,
        segment_count.n_segments_source,
        cast(agreement.customers as bigint) as customers,
        kmeans_search.kmeans_inertia,
        kmeans_search.kmeans_n_starts,
        kmeans_search.kmeans_n_starts_at_best,
        kmeans_search.kmeans_search_strategy,
        k_selection_at_k.k_selection_inertia,
        k_selection_at_k.k_selection_sample_rows,
        (
            k_selection_at_k.k_selection_sample_rows = agreement.customers
            and kmeans_search.kmeans_inertia > k_selection_at_k.k_selection_inertia * (1 + 1e-9)
        ) as is_better_partition_known,
        cast(ward_inertia.ward_inertia as {{ type_double() }}) as ward_inertia,
        cast(agreement.adjusted_rand_index as {{ type_double() }}) as adjusted_rand_index,
        cast(
            agreement.normalized_mutual_information as {{ type_double() }}
        ) as normalized_mutual_information,
        cast(
            stability_summary.kmeans_mean_stability as {{ type_double() }}
        ) as kmeans_mean_stability,
        cast(stability_summary.kmeans_min_stability as {{ type_double() }}) as kmeans_min_stability,
        stability_summary.stability_n_resamples,
        kmeans_search.random_state
    from segment_count
    cross join kmeans_search
    cross join ward_inertia
    cross join agreement
    cross join stability_summary
    cross join k_selection_at_k

)

select * from final
