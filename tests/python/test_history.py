"""Unit tests of customer_segmentation.history: settings, run plan, identity, lineage, drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_segmentation import history
from customer_segmentation.history import HistorySettingsError, RunSettings
from customer_segmentation.settings import Settings, SettingsError


def versions(*rows):
    return pd.DataFrame(
        rows,
        columns=[
            "model_version",
            "config_fingerprint",
            "input_fingerprint",
            "features",
            "n_segments",
            "n_segments_setting",
        ],
    )


FEATURES = ["minutes_watched", "clv"]


# ---------------------------------------------------------------------------- settings


def _parse(values):
    """The run vars through history.parse_run_settings, the thresholds (flat vars) through the
    one settings object, as int_segmentation_run does."""
    run_keys = {"segmentation_mode", "model_version", "drop_segmentation_history"}
    run = history.parse_run_settings({k: v for k, v in values.items() if k in run_keys})
    settings = Settings.from_mapping(legacy={k: v for k, v in values.items() if k not in run_keys})
    return run, settings.history


def test_settings_defaults_and_types():
    run, thresholds = _parse({})
    assert run == RunSettings() == RunSettings("auto", None, False)
    assert thresholds == Settings().history
    parsed, thresholds = _parse(
        {"segmentation_mode": " Score ", "model_version": "3", "outlier_quantile": "0.95"}
    )
    assert (parsed.segmentation_mode, parsed.model_version, thresholds.outlier_quantile) == (
        "score",
        3,
        0.95,
    )


def test_run_settings_take_no_thresholds():
    # The thresholds' defaults and ranges live in the settings object only.
    with pytest.raises(HistorySettingsError, match="outlier_quantile is not a run var"):
        history.parse_run_settings({"outlier_quantile": "0.95"})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"segmentation_mode": "sometimes"}, "var segmentation_mode must be one of auto, fit"),
        ({"model_version": "v2"}, "var model_version must be 'latest' or a version id"),
        ({"model_version": "0"}, "var model_version must be 'latest' or a version id"),
        ({"drop_segmentation_history": "maybe"}, "var drop_segmentation_history must be true"),
        ({"outlier_quantile": "1"}, "var outlier_quantile must be a number in (0, 1)"),
        ({"drift_psi_threshold": "-1"}, "var drift_psi_threshold must be a number above 0"),
        ({"segment_match_min_jaccard": "x"}, "var segment_match_min_jaccard must be a number"),
        (
            {"segmentation_mode": "fit", "model_version": "2"},
            "var model_version = 2 pins a version to score with, but segmentation_mode is fit",
        ),
    ],
)
def test_bad_settings_name_the_var(values, message):
    with pytest.raises((HistorySettingsError, SettingsError)) as error:
        _parse(values)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_config_fingerprint_changes_with_features_and_their_settings():
    base = history.config_fingerprint(FEATURES)
    assert history.config_fingerprint(list(FEATURES)) == base
    assert history.config_fingerprint(FEATURES[::-1]) != base
    assert history.config_fingerprint(FEATURES, scaler=[["1", "clv", "log1p"]]) != base


# ---------------------------------------------------------------------------- run plan


def plan(settings=None, stored=None, config="c1", input_fp="i1", features=FEATURES, k=8):
    return history.resolve_run(
        settings or RunSettings(),
        stored if stored is not None else versions(),
        config_fingerprint=config,
        input_fingerprint=input_fp,
        features=features,
        n_segments_setting=k,
    )


def test_auto_fits_first_then_scores_new_input_and_refits_changed_config():
    first = plan()
    assert (first.mode, first.next_model_version, first.previous_model_version) == ("fit", 1, None)
    stored = versions((1, "c1", "i1", "minutes_watched,clv", 8, "8"))
    new_month = plan(stored=stored, input_fp="i2")
    assert (new_month.mode, new_month.model_version) == ("score", 1)
    assert plan(stored=stored, input_fp="i2", k=6).mode == "fit"  # k changed
    changed = plan(stored=stored, config="c2", features=["clv"])
    assert (changed.mode, changed.next_model_version, changed.previous_model_version) == (
        "fit",
        2,
        1,
    )
    rebuild = plan(stored=stored, input_fp="i1")
    assert rebuild.mode == "fit" and "rebuild" in rebuild.reason


def test_score_and_pinned_versions():
    stored = versions(
        (1, "c1", "i1", "minutes_watched,clv", 8, "8"),
        (2, "c1", "i2", "minutes_watched,clv", 8, "8"),
    )
    assert plan(RunSettings(segmentation_mode="score"), stored).model_version == 2
    pinned = plan(RunSettings(segmentation_mode="score", model_version=1), stored)
    assert pinned.model_version == 1 and pinned.next_model_version == 3
    auto_pinned = plan(RunSettings(model_version=1), stored, input_fp="i9")
    assert (auto_pinned.mode, auto_pinned.model_version) == ("score", 1)
    assert plan(RunSettings(segmentation_mode="fit"), stored).mode == "fit"


@pytest.mark.parametrize(
    ("settings", "features", "k", "message"),
    [
        (RunSettings(segmentation_mode="score"), FEATURES, 8, "no model version is stored"),
        (RunSettings(model_version=4), FEATURES, 8, "var model_version = 4: no such version"),
    ],
)
def test_scoring_without_a_version_fails_clearly(settings, features, k, message):
    with pytest.raises(HistorySettingsError, match=message):
        plan(settings, features=features, k=k)


def test_scoring_with_other_features_or_k_fails_clearly():
    stored = versions((1, "c1", "i1", "minutes_watched,clv", 8, "8"))
    score = RunSettings(segmentation_mode="score")
    with pytest.raises(HistorySettingsError, match="fitted on features minutes_watched, clv"):
        plan(score, stored, features=["clv"])
    with pytest.raises(HistorySettingsError, match="has 8 segments, but var n_segments is 6"):
        plan(score, stored, k=6)
    with pytest.raises(HistorySettingsError, match="fitted with other feature settings"):
        plan(score, stored, config="c2")
    assert plan(score, stored, k="auto").model_version == 1


# ---------------------------------------------------------------------------- identity


def members(pairs):
    return pd.DataFrame(pairs, columns=["customer_id", "segment_id"])


def test_overlap_counts_join_text_keys_and_ignore_one_sided_customers():
    previous = members([("a", 1), ("b", 1), ("c", 2), ("gone", 2)])
    new = members([("a", 5), ("b", 5), ("c", 5), ("new", 6)])
    counts = history.overlap_counts([1, 2], previous, [5, 6], new)
    assert counts.tolist() == [[2, 0], [1, 0]]
    assert history.jaccard(counts).tolist() == [[2 / 3, 0.0], [1 / 3, 0.0]]


def test_matching_keeps_ids_of_close_overlapping_segments_and_numbers_new_ones():
    previous_centers = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]])
    # New fit order: a segment near the old 3, a brand-new one, one near the old 1.
    new_centers = np.array([[10.1, 0.0], [0.0, 20.0], [0.05, 0.0]])
    match = history.match_segments([1, 2, 7], previous_centers, new_centers, used_ids=[9])
    assert match.segment_ids.tolist() == [7, 10, 1]
    assert match.matched_previous.tolist() == [7, -1, 1]


def test_shared_customers_decide_between_equally_close_centres():
    previous_centers = np.zeros((2, 2))
    new_centers = np.zeros((2, 2))
    # New segment 1 holds old segment 2's customers and vice versa.
    overlap = np.array([[0, 40], [50, 0]])
    match = history.match_segments([1, 2], previous_centers, new_centers, overlap)
    assert match.segment_ids.tolist() == [2, 1]


def test_far_or_dissimilar_segments_are_not_matched():
    match = history.match_segments([1], np.array([[0.0]]), np.array([[3.0]]), max_distance=1.0)
    assert match.segment_ids.tolist() == [2]
    overlap = np.array([[10, 90]])  # old 1 mostly went to new 2, but they are far apart
    match = history.match_segments(
        [1], np.array([[0.0]]), np.array([[0.0], [5.0]]), overlap, min_jaccard=0.5
    )
    assert match.segment_ids.tolist() == [2, 3]


def test_lineage_kept_new_retired():
    match = history.match_segments(
        [1, 2], np.array([[0.0], [10.0]]), np.array([[0.1], [30.0]]), np.array([[50, 0], [0, 0]])
    )
    rows = history.lineage_rows([1, 2], match)
    got = {
        (r.previous_segment_id, r.segment_id, r.status)
        for r in rows.astype(object).where(rows.notna(), None).itertuples()
    }
    assert got == {(1, 1, "kept"), (None, 3, "new"), (2, None, "retired")}


def test_lineage_split_and_merge():
    # Old 1 splits into new A and B; old 2 and old 3 merge into new C.
    previous_centers = np.array([[0.0], [10.0], [11.0]])
    new_centers = np.array([[0.2], [1.5], [10.4]])
    overlap = np.array([[60, 40, 0], [0, 0, 30], [0, 0, 30]])
    match = history.match_segments(
        [1, 2, 3], previous_centers, new_centers, overlap, max_distance=2.0, min_jaccard=0.3
    )
    rows = history.lineage_rows([1, 2, 3], match, min_share=0.2)
    statuses = {
        (int(r.previous_segment_id), int(r.segment_id)): r.status for r in rows.itertuples()
    }
    a, b, c = match.segment_ids.tolist()
    assert a == 1  # the larger part of the split keeps the id
    assert statuses[(1, a)] == "split" and statuses[(1, b)] == "split"
    assert statuses[(2, c)] == "merged" and statuses[(3, c)] == "merged"
    assert int(rows["is_matched"].sum()) == 2


def test_centres_are_compared_in_the_new_standardised_space():
    old = np.array([[1.0, -1.0]])
    moved = history.to_common_space(old, [10.0, 5.0], [2.0, 1.0], [12.0, 4.0], [4.0, 1.0])
    assert moved.tolist() == [[0.0, 0.0]]


# ---------------------------------------------------------------------------- drift


def test_identical_distributions_have_zero_psi():
    rng = np.random.default_rng(0)
    values = rng.lognormal(7, 1, 5_000)
    edges = history.quantile_edges(values)
    assert len(edges) == 9
    shares = history.bin_shares(values, edges)
    assert history.population_stability_index(shares, shares) == 0.0
    assert history.bin_counts(values, edges).sum() == values.size


def test_shifted_distribution_has_major_psi_and_one_hot_gets_one_edge():
    rng = np.random.default_rng(1)
    values = rng.lognormal(7, 1, 5_000)
    edges = history.quantile_edges(values)
    psi = history.population_stability_index(
        history.bin_shares(values, edges), history.bin_shares(values * 3, edges)
    )
    assert psi > 0.25 and history.psi_level(psi, 0.25) == "major"
    one_hot = np.array([0.0] * 90 + [1.0] * 10)
    assert history.quantile_edges(one_hot).tolist() == [0.0]
    assert history.bin_shares(one_hot, [0.0]).tolist() == [0.9, 0.1]
    assert history.quantile_edges(np.ones(10)).size == 0


def test_refit_recommendation_names_the_feature():
    quiet = history.refit_recommendation(
        {"minutes_watched": 0.0, "clv": 0.0},
        {"1 (A)": 0.0},
        0.0,
        psi_threshold=0.25,
        share_threshold=0.05,
        distance_threshold=0.25,
    )
    assert not quiet.refit_recommended and quiet.reason.startswith("No refit needed")
    shifted = history.refit_recommendation(
        {"minutes_watched": 0.8, "clv": 0.01},
        {"1 (A)": 0.07},
        0.1,
        psi_threshold=0.25,
        share_threshold=0.05,
        distance_threshold=0.25,
        feature_words={"minutes_watched": "watch time"},
    )
    assert shifted.refit_recommended
    assert "watch time (minutes_watched) shifted, PSI 0.80" in shifted.reason
    assert "segment 1 (A)'s share changed by +7.0 points" in shifted.reason
    assert "clv" not in shifted.reason


# ---------------------------------------------------------------------------- customers


def test_top_deviations_rank_by_absolute_standardised_gap():
    Z = np.array([[0.0, 3.0, -5.0], [1.0, 1.0, 1.0]])
    centers = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 1.0]])
    positions, deviations = history.top_deviations(Z, centers, np.array([0, 1]), n_top=2)
    assert positions.tolist() == [[2, 1], [1, 0]]
    assert deviations.tolist() == [[-5.0, 3.0], [1.0, 0.0]]


def test_features_in_words():
    assert history.feature_in_words("minutes_watched") == "watch time"
    assert history.feature_in_words("channel_linkedin", {"linkedin": "LinkedIn"}) == (
        "LinkedIn channel"
    )
    assert history.feature_in_words("region_western_europe") == "Western Europe region"


# ---------------------------------------------------------------------------- report


def test_transition_figure_has_new_and_departed_rows():
    from customer_segmentation.report import history as report_history

    pairs = pd.DataFrame(
        {
            "from_segment_id": [1, 1, 2, None, 2],
            "from_segment_name": ["A", "A", "B", "(new customers)", "B"],
            "to_segment_id": [1, 2, 2, 1, None],
            "to_segment_name": ["A", "B", "B", "A", "(departed customers)"],
            "customers": [50, 5, 40, 7, 3],
        }
    )
    ax = report_history.transition_figure(pairs).axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert rows == ["1. A", "2. B", "(new customers)"]
    assert cols == ["1. A", "2. B", "(departed customers)"]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["50", "5", "40", "7", "3"])


def test_model_drift_is_the_same_whatever_the_row_order():
    from customer_segmentation import versioning

    run = pd.DataFrame(
        [
            {
                "mode": "score",
                "model_version": 1,
                "previous_model_version": 1,
                "next_model_version": 2,
                "drift_psi_threshold": 0.25,
                "drift_share_threshold": 0.05,
                "drift_distance_threshold": 0.25,
            }
        ]
    )
    features = pd.DataFrame(
        {
            "feature_position": [1, 2, 3],
            "feature_name": ["minutes_watched", "clv", "channel_x"],
            "feature_words": ["watch time", "CLV", "X channel"],
            "psi": [0.0, 0.0, 0.0],
        }
    )
    segments = pd.DataFrame(
        {
            "segment_id": [1, 2],
            "segment_name": ["A", "B"],
            "share_change": [0.0, 0.0],
            "training_share": [0.5, 0.5],
            "snapshot_share": [0.5, 0.5],
            "training_mean_distance": [1.0, 2.0],
            "snapshot_mean_distance": [1.0, 2.0],
        }
    )
    unchanged = [
        versioning.model_drift(f, s, run)
        for f, s in ((features, segments), (features[::-1], segments[::-1]))
    ]
    assert unchanged[0].equals(unchanged[1])
    assert unchanged[0]["most_shifted_feature"].tolist() == [""]
    shifted = features.assign(psi=[0.4, 0.1, 0.4])[::-1]
    row = versioning.model_drift(shifted, segments, run).iloc[0]
    assert row["most_shifted_feature"] == "minutes_watched" and bool(row["refit_recommended"])
    assert row["refit_reason"].index("minutes_watched") < row["refit_reason"].index("channel_x")


def test_top_deviations_in_blocks_equal_the_whole_matrix_at_once(monkeypatch):
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(50, 6))
    Z[:10, 3:] = 0.0  # equal gaps: ties go to the earlier feature in every block
    centers = rng.normal(size=(4, 6))
    centers[:, 3:] = 0.0
    labels = rng.integers(0, 4, size=50)
    deviation = Z - centers[labels]
    expected = np.argsort(-np.abs(deviation), axis=1, kind="stable")[:, :3]
    monkeypatch.setattr(history, "_DEVIATION_BLOCK_ROWS", 7)  # 50 rows: 8 blocks, last short
    positions, deviations = history.top_deviations(Z, centers, labels, n_top=3)
    np.testing.assert_array_equal(positions, expected)
    np.testing.assert_array_equal(deviations, np.take_along_axis(deviation, expected, axis=1))


def test_top_deviations_of_columns_equal_those_of_the_matrix_bit_for_bit(monkeypatch):
    """The DuckDB path ranks the features from the fetched columns, never building the
    matrix: block for block it must give the matrix's positions and deviations exactly."""
    rng = np.random.default_rng(5)
    Z = rng.normal(size=(103, 5)) * rng.uniform(0.1, 1e3, size=5)
    Z[:20, 2:] = 1.0  # ties: the earlier feature first, in either path
    centers = rng.normal(size=(3, 5))
    centers[:, 2:] = 0.0
    labels = rng.integers(0, 3, size=103)
    monkeypatch.setattr(history, "_DEVIATION_BLOCK_ROWS", 16)  # 7 blocks, the last short
    expected = history.top_deviations(Z, centers, labels, n_top=3)
    columns = [np.ascontiguousarray(Z[:, f]) for f in range(5)]
    got = history.top_deviations_columns(columns, centers, labels, n_top=3)
    for want, have in zip(expected, got, strict=True):
        assert want.dtype == have.dtype and np.array_equal(want, have)
    with pytest.raises(ValueError, match="columns of different shapes"):
        history.top_deviations_columns([columns[0], columns[1][:-1]], centers, labels)
    with pytest.raises(ValueError, match="no feature columns"):
        history.top_deviations_columns([], centers, labels)


def test_feature_bins_and_drift_read_each_feature_in_customer_order_whatever_the_row_order():
    """The means of the bins and of the drift are sums in customer order, whatever order the
    table's rows come in (the features are fetched unsorted, one at a time, and put in order):
    on values whose float sum depends on the order, two row orders give the same figures, and
    those of the values sorted by customer_order."""
    import duckdb

    from customer_segmentation import versioning

    rng = np.random.default_rng(16)  # a draw whose sum differs in all three orders below
    n = 4000
    frame = pd.DataFrame(
        {
            "customer_id": [f"K{rng.integers(10**9):09d}-{i}" for i in range(n)],
            "customer_order": rng.permutation(n) + 1,
            # Magnitudes from 1e-3 to 1e12: a float sum of these depends on the order of terms.
            "minutes_watched": rng.choice([1e-3, 1.0, 1e6, 1e12], n) * rng.uniform(1, 2, n),
            "clv": rng.normal(100.0, 30.0, n),
        }
    )
    run = pd.DataFrame(
        [
            {
                "mode": "fit",
                "model_version": 1,
                "previous_model_version": 0,
                "next_model_version": 2,
                "drift_psi_threshold": 0.25,
            }
        ]
    )
    features = ["minutes_watched", "clv"]
    connection = duckdb.connect()
    results = []
    for name, rows in [("forward", frame), ("shuffled", frame.sample(frac=1.0, random_state=3))]:
        connection.register(f"{name}_frame", rows)
        connection.execute(f"create table {name} as select * from {name}_frame")
        encoded = connection.table(name)
        bins = versioning.feature_bins(encoded, run, features)
        drift = versioning.feature_drift(encoded, bins, run.assign(mode="score"), features)
        results.append((bins, drift))
    pd.testing.assert_frame_equal(results[0][0], results[1][0])
    pd.testing.assert_frame_equal(results[0][1], results[1][1])
    in_order = frame.sort_values("customer_order")
    means = results[0][0].groupby("feature_name", sort=False)["training_mean"].first()
    assert means["minutes_watched"] == float(in_order["minutes_watched"].to_numpy().mean())
    assert means["clv"] == float(in_order["clv"].to_numpy().mean())
    # The order does matter for these values: in either table's row order the sum differs.
    for rows in (frame, frame.sample(frac=1.0, random_state=3)):
        assert float(rows["minutes_watched"].to_numpy().mean()) != means["minutes_watched"]


def _deviation_tables(connection, n=300):
    """Scaled features, a fit row per segment and assignments, as DuckDB tables."""
    rng = np.random.default_rng(4)
    features = ["minutes_watched", "clv", "channel_a"]
    scaled = pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in rng.permutation(n)],
            "customer_order": np.arange(1, n + 1),
            "minutes_watched": rng.normal(size=n),
            "clv": rng.normal(size=n),
            "channel_a": rng.integers(0, 2, n).astype(float),
        }
    )
    fit = pd.DataFrame(
        {
            "kmeans_segment_id": [1, 2],
            **{f"center_{f}": rng.normal(size=2) for f in features},
        }
    )
    assignments = scaled[["customer_id"]].assign(kmeans_segment_id=rng.integers(1, 3, n))
    # The tables' rows in other orders than the customers': the order must come from the data.
    stored = [
        ("scaled", scaled.sample(frac=1.0, random_state=2)),
        ("fit", fit),
        ("assignments", assignments.sample(frac=1.0, random_state=1)),
    ]
    for name, frame in stored:
        connection.register(f"{name}_frame", frame)
        connection.execute(f"create or replace table {name} as select * from {name}_frame")
    return features, scaled, fit, assignments


def test_customer_deviations_joined_in_duckdb_equal_the_frames_and_name_missing_customers():
    """On DuckDB the features and segments are joined in DuckDB and fetched unsorted; every
    customer's row must equal what the sorted frames give, and a customer without a segment
    must stop the model with the counts instead of being dropped by the join."""
    import duckdb

    from customer_segmentation import versioning

    connection = duckdb.connect()
    features, scaled, fit, assignments = _deviation_tables(connection)
    joined = versioning.customer_deviations(
        connection.table("scaled"),
        connection.table("fit"),
        connection.table("assignments"),
        features,
    )
    frames = versioning.customer_deviations(scaled, fit, assignments, features)
    by_id = frames.set_index("customer_id").loc[joined["customer_id"]].reset_index()
    pd.testing.assert_frame_equal(joined, by_id, check_dtype=False)
    assert joined["customer_id"].tolist() == scaled["customer_id"].tolist()  # customer order
    # A table without the customer order (made by hand): the customers in customer_id order.
    connection.execute("create table unordered as select * exclude (customer_order) from scaled")
    by_key = versioning.customer_deviations(
        connection.table("unordered"),
        connection.table("fit"),
        connection.table("assignments"),
        features,
    )
    pd.testing.assert_frame_equal(by_key, frames, check_dtype=False)
    connection.execute("delete from assignments where customer_id = 'C0007'")
    with pytest.raises(ValueError, match="300 customers have features, 299 a k-means segment"):
        versioning.customer_deviations(
            connection.table("scaled"),
            connection.table("fit"),
            connection.table("assignments"),
            features,
        )
