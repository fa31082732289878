{#-
    One row per build: how good the segmentation is. k and where it came from; the k-means
    search (inertia, starts that reached it, run time, strategy); Ward's inertia on the same
    features; agreement of the two methods (adjusted Rand index, normalised mutual information,
    computed here from the contingency table); and the k-means segments' bootstrap stability.
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

cells as (

    select
        kmeans_segment_id,
        ward_segment_id,
        {#- A double from here on: Spark would turn n_ij * (n_ij - 1) / 2.0 into a decimal. #}
        cast(count(*) as {{ type_double() }}) as n_ij
    from segments
    group by kmeans_segment_id, ward_segment_id

),

kmeans_sizes as (

    select
        kmeans_segment_id,
        sum(n_ij) as a_i
    from cells
    group by kmeans_segment_id

),

ward_sizes as (

    select
        ward_segment_id,
        sum(n_ij) as b_j
    from cells
    group by ward_segment_id

),

total as (

    select cast(sum(n_ij) as {{ type_double() }}) as n from cells

),

pairs_same_in_both as (

    select sum(n_ij * (n_ij - 1) / 2.0) as same_in_both
    from cells

),

pairs_same_in_kmeans as (

    select sum(a_i * (a_i - 1) / 2.0) as same_in_kmeans
    from kmeans_sizes

),

pairs_same_in_ward as (

    select sum(b_j * (b_j - 1) / 2.0) as same_in_ward
    from ward_sizes

),

rand_terms as (

    {#- The adjusted Rand index compares the pairs put together by both methods with what
        chance would give (expected) and with its largest possible value (maximum). -#}
    select
        pairs_same_in_both.same_in_both,
        pairs_same_in_kmeans.same_in_kmeans * pairs_same_in_ward.same_in_ward
        / (total.n * (total.n - 1) / 2.0) as expected_same_in_both,
        (pairs_same_in_kmeans.same_in_kmeans + pairs_same_in_ward.same_in_ward)
        / 2.0 as max_same_in_both
    from pairs_same_in_both
    cross join pairs_same_in_kmeans
    cross join pairs_same_in_ward
    cross join total

),

adjusted_rand as (

    select
        case
            when max_same_in_both = expected_same_in_both then 1.0
            else (same_in_both - expected_same_in_both) / (max_same_in_both - expected_same_in_both)
        end as adjusted_rand_index
    from rand_terms

),

mutual_information as (

    {%- set cell_term = 'cells.n_ij / total.n'
        ~ ' * ln(total.n * cells.n_ij / (kmeans_sizes.a_i * ward_sizes.b_j))' %}
    select {{ exact_sum(cell_term, scale=18) }} as mutual_information
    from cells
    inner join kmeans_sizes on cells.kmeans_segment_id = kmeans_sizes.kmeans_segment_id
    inner join ward_sizes on cells.ward_segment_id = ward_sizes.ward_segment_id
    cross join total

),

kmeans_entropy as (

    {%- set size_term = 'kmeans_sizes.a_i / total.n * ln(kmeans_sizes.a_i / total.n)' %}
    select -{{ exact_sum(size_term, scale=18) }} as kmeans_entropy
    from kmeans_sizes
    cross join total

),

ward_entropy as (

    {%- set size_term = 'ward_sizes.b_j / total.n * ln(ward_sizes.b_j / total.n)' %}
    select -{{ exact_sum(size_term, scale=18) }} as ward_entropy
    from ward_sizes
    cross join total

),

entropies as (

    select
        kmeans_entropy.kmeans_entropy,
        ward_entropy.ward_entropy
    from kmeans_entropy
    cross join ward_entropy

),

normalized_mutual as (

    select
        case
            when entropies.kmeans_entropy + entropies.ward_entropy = 0 then 1.0
            else
                mutual_information.mutual_information
                / ((entropies.kmeans_entropy + entropies.ward_entropy) / 2.0)
        end as normalized_mutual_information
    from mutual_information
    cross join entropies

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
        cast(total.n as bigint) as customers,
        kmeans_search.kmeans_inertia,
        kmeans_search.kmeans_n_starts,
        kmeans_search.kmeans_n_starts_at_best,
        kmeans_search.kmeans_search_strategy,
        k_selection_at_k.k_selection_inertia,
        k_selection_at_k.k_selection_sample_rows,
        (
            k_selection_at_k.k_selection_sample_rows = total.n
            and kmeans_search.kmeans_inertia > k_selection_at_k.k_selection_inertia * (1 + 1e-9)
        ) as is_better_partition_known,
        cast(ward_inertia.ward_inertia as {{ type_double() }}) as ward_inertia,
        cast(adjusted_rand.adjusted_rand_index as {{ type_double() }}) as adjusted_rand_index,
        cast(
            normalized_mutual.normalized_mutual_information as {{ type_double() }}
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
    cross join total
    cross join adjusted_rand
    cross join normalized_mutual
    cross join stability_summary
    cross join k_selection_at_k

)

select * from final
