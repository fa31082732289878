"""Unit tests of customer_segmentation.evidence: intervals, tests, effect sizes, channel effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from customer_segmentation import evidence
from customer_segmentation.settings import Settings, SettingsError


def test_bootstrap_interval_of_the_mean_covers_the_truth_about_95_percent():
    rng = np.random.default_rng(0)
    trials, hits = 300, 0
    for trial in range(trials):
        sample = rng.normal(10.0, 3.0, size=60)
        _, low, high = evidence.bootstrap_interval(
            sample, "mean", n_resamples=400, confidence=0.95, random_state=trial
        )
        hits += low <= 10.0 <= high
    # Percentile intervals run slightly narrow at n = 60; 300 trials put the estimate within
    # about +-2.5 points of its true coverage.
    assert 0.89 <= hits / trials <= 0.99


def test_bootstrap_interval_of_the_median_covers_a_skewed_truth():
    rng = np.random.default_rng(1)
    true_median = np.log(2.0)  # exponential with scale 1
    trials, hits = 300, 0
    for trial in range(trials):
        sample = rng.exponential(1.0, size=80)
        _, low, high = evidence.bootstrap_interval(
            sample, "median", n_resamples=400, random_state=trial
        )
        hits += low <= true_median <= high
    assert 0.89 <= hits / trials <= 0.995


def test_bootstrap_interval_is_seeded_and_contains_the_estimate():
    sample = np.random.default_rng(2).lognormal(5, 2, size=200)
    first = evidence.bootstrap_interval(sample, "median", n_resamples=500, random_state=7)
    again = evidence.bootstrap_interval(sample, "median", n_resamples=500, random_state=7)
    other = evidence.bootstrap_interval(sample, "median", n_resamples=500, random_state=8)
    assert first == again
    assert first != other
    estimate, low, high = first
    assert estimate == np.median(sample)
    assert low <= estimate <= high


def test_bootstrap_statistics_chunking_gives_the_same_draws_shape_and_scale():
    sample = np.arange(100, dtype=float)
    small_chunks = evidence.bootstrap_statistics(
        sample, n_resamples=300, random_state=3, max_cells=1000
    )
    one_chunk = evidence.bootstrap_statistics(sample, n_resamples=300, random_state=3)
    # Same generator stream, drawn in different chunk shapes: identical resamples.
    np.testing.assert_array_equal(small_chunks["mean"], one_chunk["mean"])
    assert small_chunks["median"].shape == (300,)
    assert abs(one_chunk["mean"].std() - sample.std() / np.sqrt(100)) < 0.6


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="n_resamples"):
        evidence.bootstrap_interval(np.ones(5), n_resamples=10)
    with pytest.raises(ValueError, match="confidence"):
        evidence.bootstrap_interval(np.ones(5), confidence=1.5)
    with pytest.raises(ValueError, match="statistic"):
        evidence.bootstrap_interval(np.ones(5), "mode")
    with pytest.raises(TypeError, match="n_resamples must be an instance of int, not float"):
        evidence.bootstrap_interval(np.ones(5), n_resamples=400.5)
    # The var behind confidence is checked by the settings object, naming the var.
    with pytest.raises(
        SettingsError, match=r"var evidence_confidence_level must be a number in \(0, 1\), got '95'"
    ):
        Settings.from_mapping(legacy={"evidence_confidence_level": "95"})
    assert (
        Settings.from_mapping(legacy={"evidence_confidence_level": "0.9"}).evidence.confidence_level
        == 0.9
    )


def test_kruskal_wallis_matches_hand_computed_values():
    # Ranks equal the values: rank sums 6, 15, 24 with n = 9, so
    # H = 12 / (9 * 10) * (36 + 225 + 576) / 3 - 3 * 10 = 7.2, epsilon^2 = 7.2 / 8 = 0.9,
    # p = P(chi2 with 2 df > 7.2) = exp(-3.6).
    values = np.arange(1.0, 10.0)
    groups = np.repeat([1, 2, 3], 3)
    result = evidence.kruskal_wallis(values, groups)
    assert result["h_statistic"] == pytest.approx(7.2)
    assert result["degrees_of_freedom"] == 2
    assert result["p_value"] == pytest.approx(np.exp(-3.6))
    assert result["epsilon_squared"] == pytest.approx(0.9)
    assert result["n"] == 9 and result["n_groups"] == 3


def test_epsilon_squared_is_h_over_n_squared_minus_one_over_n_plus_one():
    assert evidence.epsilon_squared(12.0, 101) == pytest.approx(12.0 / ((101**2 - 1) / 102))
    assert np.isnan(evidence.epsilon_squared(1.0, 1))


def test_kruskal_wallis_untestable_cases_give_nan():
    one_group = evidence.kruskal_wallis(np.array([1.0, 2.0]), np.array([1, 1]))
    tied = evidence.kruskal_wallis(np.array([3.0, 3.0, 3.0]), np.array([1, 2, 2]))
    for result in (one_group, tied):
        assert np.isnan(result["h_statistic"]) and np.isnan(result["epsilon_squared"])


def test_holm_adjustment_by_hand():
    # Sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 -> running max 0.03, 0.06, 0.06.
    adjusted = evidence.holm_adjust([0.01, 0.04, 0.03, np.nan])
    np.testing.assert_allclose(adjusted[:3], [0.03, 0.06, 0.06])
    assert np.isnan(adjusted[3])
    assert evidence.holm_adjust([0.6, 0.7]).max() == 1.0


def test_bootstrap_p_value_never_zero_and_two_sided():
    assert evidence.bootstrap_p_value(np.ones(999)) == pytest.approx(2 / 1000)
    assert evidence.bootstrap_p_value(np.linspace(-1, 1, 1001)) == 1.0


def _synthetic_customers(seed: int = 0) -> pd.DataFrame:
    """Two regions, three channels; channel 3 watches 3x more in region 0, CLV never differs."""
    rng = np.random.default_rng(seed)
    rows = []
    for region in (0, 1):
        for channel in (1, 2, 3):
            n = 150
            scale = 300.0 if (region == 0 and channel == 3) else 100.0
            minutes = rng.exponential(scale, size=n)
            clv = rng.normal(100.0, 20.0, size=n)
            rows.append(
                pd.DataFrame(
                    {
                        "region_code": region,
                        "channel_code": channel,
                        "minutes_watched": minutes,
                        "clv": clv,
                    }
                )
            )
    frame = pd.concat(rows, ignore_index=True)
    frame.insert(0, "customer_id", np.arange(1, len(frame) + 1))
    return frame


def test_channel_effects_find_the_planted_difference_and_only_it():
    effects = evidence.channel_effects(_synthetic_customers(), n_resamples=500, random_state=1)
    assert len(effects) == 9  # 2 regions x 3 channels + all regions x 3 channels
    assert effects["region_code"].isna().sum() == 3
    planted = effects[(effects["region_code"] == 0) & (effects["channel_code"] == 3)].iloc[0]
    assert planted["median_minutes_difference_ci_low"] > 0
    assert planted["median_minutes_difference_p_adjusted"] < 0.05
    region_one = effects[effects["region_code"] == 1]
    assert (region_one["median_minutes_difference_p_adjusted"] > 0.05).all()
    # Every interval contains its point estimate.
    for name in ("median_minutes", "mean_minutes", "mean_clv"):
        assert (effects[f"{name}_ci_low"] <= effects[name]).all()
        assert (effects[name] <= effects[f"{name}_ci_high"]).all()
        diff = effects[f"{name}_difference"]
        assert (effects[f"{name}_difference_ci_low"] <= diff).all()
        assert (diff <= effects[f"{name}_difference_ci_high"]).all()
    # The region's mean is the customer-weighted mean of its channels.
    region_zero = effects[effects["region_code"] == 0]
    weighted = np.average(region_zero["mean_clv"], weights=region_zero["customers"])
    assert region_zero["region_mean_clv"].iloc[0] == pytest.approx(weighted)


def test_channel_effects_are_reproducible_and_order_independent():
    customers = _synthetic_customers()
    shuffled = customers.sample(frac=1.0, random_state=5)
    first = evidence.channel_effects(customers, n_resamples=200, random_state=3)
    second = evidence.channel_effects(shuffled, n_resamples=200, random_state=3)
    pd.testing.assert_frame_equal(first, second)


def test_channel_tests_agree_with_scipy_and_flag_the_planted_effect():
    customers = _synthetic_customers()
    tests = evidence.channel_tests(customers)
    assert len(tests) == 6  # (2 regions + all) x 2 metrics
    region_zero = customers[customers["region_code"] == 0]
    h, p = stats.kruskal(*[g["minutes_watched"] for _, g in region_zero.groupby("channel_code")])
    row = tests[(tests["region_code"] == 0) & (tests["metric"] == "minutes_watched")].iloc[0]
    assert row["h_statistic"] == pytest.approx(h) and row["p_value"] == pytest.approx(p)
    assert row["epsilon_squared"] == pytest.approx(h / (len(region_zero) - 1))
    assert row["p_value_adjusted"] < 0.05
    clv_rows = tests[tests["metric"] == "clv"]
    assert (clv_rows["p_value_adjusted"] > 0.05).all()


def test_segment_intervals_cover_each_method_and_segment():
    customers = _synthetic_customers()
    long = pd.concat(
        [
            customers.assign(segmentation_method="kmeans", segment_id=customers["channel_code"]),
            customers.assign(segmentation_method="ward", segment_id=customers["region_code"] + 1),
        ],
        ignore_index=True,
    )
    result = evidence.segment_intervals(long, n_resamples=300, random_state=4)
    assert sorted(map(tuple, result[["segmentation_method", "segment_id"]].to_numpy())) == [
        ("kmeans", 1),
        ("kmeans", 2),
        ("kmeans", 3),
        ("ward", 1),
        ("ward", 2),
    ]
    assert (result["mean_clv_ci_low"] <= result["mean_clv"]).all()
    assert (result["mean_clv"] <= result["mean_clv_ci_high"]).all()
    assert (result["median_minutes_ci_low"] <= result["median_minutes_watched"]).all()
    np.testing.assert_allclose(result["overall_mean_clv"], customers["clv"].mean())


def test_m_out_of_n_bootstrap_matches_the_plain_bootstrap_interval():
    sample = np.random.default_rng(9).lognormal(4, 1.5, size=40_000)
    plain = evidence.bootstrap_statistics(sample, n_resamples=400, random_state=1)
    capped = evidence.bootstrap_statistics(sample, n_resamples=400, random_state=1, max_rows=4_000)
    for statistic in ("mean", "median"):
        plain_low, plain_high = evidence.percentile_interval(plain[statistic], 0.95)
        low, high = evidence.percentile_interval(capped[statistic], 0.95)
        # Same width within sampling noise of 400 resamples, centred on the estimate.
        assert (high - low) == pytest.approx(plain_high - plain_low, rel=0.2)
        estimate = sample.mean() if statistic == "mean" else np.median(sample)
        assert low < estimate < high


def test_median_draws_follow_the_resampling_bootstrap_distribution():
    # Integer values with many ties, as minutes are, and an even and an odd sample size.
    for n in (3_000, 3_001):
        sample = np.round(np.random.default_rng(n).lognormal(5, 1.2, size=n))
        resampled = evidence.bootstrap_statistics(sample, n_resamples=2_000, random_state=3)
        drawn = evidence.bootstrap_median_draws(
            sample, n_resamples=2_000, rng=np.random.default_rng(4)
        )
        quantiles = [0.025, 0.25, 0.5, 0.75, 0.975]
        np.testing.assert_allclose(
            np.quantile(drawn, quantiles),
            np.quantile(resampled["median"], quantiles),
            rtol=0.02,
        )


def test_stratified_median_draws_follow_the_stratified_resampling_bootstrap():
    rng = np.random.default_rng(5)
    strata = [np.round(rng.lognormal(mu, 1.0, size=size)) for mu, size in ((5, 2_000), (5.4, 600))]
    strata.append(np.round(rng.lognormal(4.5, 1.0, size=15)))
    stacked = [np.column_stack([s, s]) for s in strata]
    resampled, pooled_resampled = evidence._stratified_draws(
        stacked, n_resamples=2_000, rng=np.random.default_rng(6), max_cells=4_000_000
    )
    medians, pooled = evidence.stratified_median_draws(
        strata, n_resamples=2_000, rng=np.random.default_rng(7)
    )
    quantiles = [0.025, 0.5, 0.975]
    for drawn, reference in zip(medians[:2], resampled[:2], strict=True):
        np.testing.assert_allclose(
            np.quantile(drawn, quantiles),
            np.quantile(reference["median_minutes_watched"], quantiles),
            rtol=0.05,
        )
    # 15 values: the medians take few distinct values, compare their mean and spread.
    tiny = resampled[2]["median_minutes_watched"]
    assert np.mean(medians[2]) == pytest.approx(np.mean(tiny), rel=0.05)
    assert np.std(medians[2]) == pytest.approx(np.std(tiny), rel=0.15)
    np.testing.assert_allclose(
        np.quantile(pooled, quantiles),
        np.quantile(pooled_resampled["median_minutes_watched"], quantiles),
        rtol=0.02,
    )
    # The joint distribution too: the spread of a stratum's gap to the pooled median.
    for k in (0, 1):
        gap = medians[k] - pooled
        gap_reference = (
            resampled[k]["median_minutes_watched"] - pooled_resampled["median_minutes_watched"]
        )
        assert np.std(gap) == pytest.approx(np.std(gap_reference), rel=0.15)


def test_channel_effects_with_a_row_cap_agree_with_the_full_bootstrap():
    customers = pd.concat([_synthetic_customers(seed) for seed in range(8)], ignore_index=True)
    customers["customer_id"] = np.arange(1, len(customers) + 1)
    full = evidence.channel_effects(customers, n_resamples=400, random_state=2)
    capped = evidence.channel_effects(customers, n_resamples=400, random_state=2, max_rows=2_000)
    pd.testing.assert_series_equal(full["mean_clv"], capped["mean_clv"])
    for name in ("median_minutes", "mean_clv", "mean_clv_difference"):
        width_full = full[f"{name}_ci_high"] - full[f"{name}_ci_low"]
        width_capped = capped[f"{name}_ci_high"] - capped[f"{name}_ci_low"]
        np.testing.assert_allclose(width_capped, width_full, rtol=0.3)
    planted = capped[(capped["region_code"] == 0) & (capped["channel_code"] == 3)].iloc[0]
    assert planted["median_minutes_difference_p_adjusted"] < 0.05


def test_kruskal_wallis_from_counts_equals_scipy_bit_for_bit():
    rng = np.random.default_rng(5)
    for n, ties in [(40, True), (500, False), (3000, True)]:
        values = rng.integers(0, 12, n).astype(float) if ties else rng.lognormal(size=n)
        groups = rng.integers(1, 5, n)
        result = evidence.kruskal_wallis(values, groups)
        h, p = stats.kruskal(*[values[groups == g] for g in np.unique(groups)])
        assert result["h_statistic"] == h and result["p_value"] == p


def test_kruskal_wallis_counts_equal_the_expanded_sample():
    values = np.array([3.0, 1.0, 3.0, 2.0, 1.0])
    groups = np.array([1, 2, 2, 1, 1])
    counts = np.array([2, 4, 1, 0, 3])  # the pair (3.0, 1) again below; a zero count ignored
    counted = evidence.kruskal_wallis_counts(
        np.append(values, 3.0), np.append(groups, 1), np.append(counts, 5)
    )
    expanded = evidence.kruskal_wallis(
        np.repeat(np.append(values, 3.0), np.append(counts, 5)),
        np.repeat(np.append(groups, 1), np.append(counts, 5)),
    )
    assert counted == expanded and counted["n"] == 15
    with pytest.raises(ValueError, match="negative"):
        evidence.kruskal_wallis_counts(values, groups, -counts)
