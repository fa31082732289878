"""Tests of customer_segmentation.generator and the ``generate`` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_segmentation import cli
from customer_segmentation.generator import (
    BLOCK_ROWS,
    COLUMNS,
    SEED_REGION_CHANNEL_COUNTS,
    generate_customers,
    iter_customer_blocks,
    region_channel_shares,
    write_customers,
)

SEED_CSV = Path(__file__).resolve().parents[2] / "seeds" / "customer_segmentation_data.csv"


@pytest.fixture(scope="module")
def seed() -> pd.DataFrame:
    return pd.read_csv(SEED_CSV)


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    return generate_customers(200_000, random_state=123)


def test_deterministic_for_a_seed():
    a = generate_customers(5_000, random_state=7)
    b = generate_customers(5_000, random_state=7)
    pd.testing.assert_frame_equal(a, b)
    c = generate_customers(5_000, random_state=8)
    assert not a.equals(c)


def test_smaller_draw_is_a_prefix_and_blocks_concatenate():
    n = BLOCK_ROWS + 1_000
    full = generate_customers(n, random_state=3)
    pd.testing.assert_frame_equal(generate_customers(2_000, random_state=3), full.iloc[:2_000])
    blocks = list(iter_customer_blocks(n, random_state=3))
    assert [len(b) for b in blocks] == [BLOCK_ROWS, 1_000]
    pd.testing.assert_frame_equal(pd.concat(blocks, ignore_index=True), full)


def test_columns_and_types(generated):
    assert tuple(generated.columns) == COLUMNS
    assert generated["minutes_watched"].dtype == np.float64
    assert generated["CLV"].dtype == np.float64
    assert generated["region"].dtype == np.int64
    assert generated["channel"].dtype == np.int64
    assert set(generated["region"].unique()) == {0, 1, 2}
    assert set(generated["channel"].unique()) == set(range(1, 9))
    minutes = generated["minutes_watched"].dropna()
    assert (minutes >= 0).all()
    np.testing.assert_array_equal(minutes, np.round(minutes))
    clv = generated["CLV"]
    assert clv.notna().all() and (clv >= 0).all()
    np.testing.assert_allclose(clv * 100, np.round(clv * 100), atol=1e-6)


def test_empty_and_invalid_sizes():
    empty = generate_customers(0)
    assert tuple(empty.columns) == COLUMNS and len(empty) == 0
    assert empty["region"].dtype == np.int64
    with pytest.raises(ValueError, match=">= 0"):
        generate_customers(-1)
    with pytest.raises(TypeError, match="integer"):
        generate_customers(10.5)
    with pytest.raises(ValueError, match="non-negative"):
        generate_customers(10, random_state=-1)


def test_hard_coded_cell_counts_match_the_seed(seed):
    counts = pd.crosstab(seed["region"], seed["channel"]).to_numpy()
    np.testing.assert_array_equal(counts, np.asarray(SEED_REGION_CHANNEL_COUNTS))
    np.testing.assert_allclose(region_channel_shares().sum(), 1.0)


def test_region_channel_shares_follow_the_seed(seed, generated):
    expected = pd.crosstab(seed["region"], seed["channel"], normalize=True)
    got = pd.crosstab(generated["region"], generated["channel"], normalize=True)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=0.01)


def test_blank_and_zero_rates_near_the_seed(seed, generated):
    for frame in (seed, generated):
        frame.attrs["blank"] = frame["minutes_watched"].isna().mean()
        frame.attrs["zero"] = (frame["minutes_watched"] == 0).mean()
    assert generated.attrs["blank"] == pytest.approx(seed.attrs["blank"], abs=0.003)
    assert generated.attrs["zero"] == pytest.approx(seed.attrs["zero"], abs=0.002)


def test_marginals_look_like_the_seed(seed, generated):
    probs = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
    seed_q = seed["minutes_watched"].quantile(probs).to_numpy()
    gen_q = generated["minutes_watched"].quantile(probs).to_numpy()
    np.testing.assert_allclose(np.log1p(gen_q), np.log1p(seed_q), atol=0.15)
    assert generated["minutes_watched"].max() > 100_000  # heavy tail
    # Most customers sit at the seed's price points, and the top ones match.
    seed_top = seed["CLV"].value_counts(normalize=True).head(5)
    gen_shares = generated["CLV"].value_counts(normalize=True)
    np.testing.assert_allclose(
        gen_shares[seed_top.index].to_numpy(), seed_top.to_numpy(), atol=0.01
    )
    assert gen_shares[gen_shares > 0.001].sum() > 0.6
    np.testing.assert_allclose(
        generated["CLV"].quantile(probs).to_numpy(),
        seed["CLV"].quantile(probs).to_numpy(),
        rtol=0.1,
    )


def test_values_depend_on_region_like_the_seed(seed, generated):
    def region_summary(frame):
        return frame.groupby("region").agg(
            log_minutes=("minutes_watched", lambda s: np.log1p(s).mean()),
            clv=("CLV", "mean"),
        )

    got, expected = region_summary(generated), region_summary(seed)
    np.testing.assert_allclose(got["log_minutes"], expected["log_minutes"], atol=0.15)
    np.testing.assert_allclose(got["clv"], expected["clv"], rtol=0.05)


def _read_back(path: Path) -> pd.DataFrame:
    with duckdb.connect() as con:
        if path.suffix == ".csv":
            query = f"SELECT * FROM read_csv('{path}', header = true)"
        else:
            query = f"SELECT * FROM read_parquet('{path}')"
        return con.execute(query).df()


@pytest.mark.parametrize("name", ["customers.csv", "customers.parquet"])
def test_write_round_trips_through_duckdb(tmp_path, name):
    path = tmp_path / "out" / name
    summary = write_customers(path, 3_000, random_state=5)
    assert summary["rows"] == 3_000 and summary["bytes"] == path.stat().st_size
    assert summary["format"] == path.suffix.lstrip(".")
    back = _read_back(path)
    expected = generate_customers(3_000, random_state=5)
    assert tuple(back.columns) == COLUMNS
    assert back["minutes_watched"].isna().sum() == expected["minutes_watched"].isna().sum() > 0
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, check_exact=True)


def test_csv_layout(tmp_path):
    path = tmp_path / "customers.csv"
    write_customers(path, 2_000, random_state=1)
    lines = path.read_text().splitlines()
    assert lines[0] == "minutes_watched,CLV,region,channel"
    assert len(lines) == 2_001
    assert any(line.startswith(",") for line in lines[1:])  # blank minutes_watched


def test_format_override_and_errors(tmp_path):
    path = tmp_path / "customers.data"
    assert write_customers(path, 100, fmt="parquet")["format"] == "parquet"
    assert len(duckdb.sql(f"SELECT * FROM read_parquet('{path}')").df()) == 100
    with pytest.raises(ValueError, match="extension"):
        write_customers(tmp_path / "customers.txt", 10)
    with pytest.raises(ValueError, match="fmt"):
        write_customers(path, 10, fmt="json")


def test_cli_generate(tmp_path, capsys):
    path = tmp_path / "cli.csv"
    assert cli.main(["generate", "--rows", "1_000", "--seed", "9", "--out", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1,000 customers" in out and str(path) in out
    pd.testing.assert_frame_equal(
        _read_back(path),
        generate_customers(1_000, random_state=9),
        check_dtype=False,
        check_exact=True,
    )
    assert cli.main(["generate", "--rows", "10", "--out", str(tmp_path / "x.txt")]) == 1
    with pytest.raises(SystemExit):
        cli.main(["generate", "--rows", "-3", "--out", str(path)])
    with pytest.raises(SystemExit):
        cli.main([])


def test_cli_module_entry_point(tmp_path):
    path = tmp_path / "module.parquet"
    result = subprocess.run(
        [sys.executable, "-m", "customer_segmentation.cli", "generate", "--rows", "500",
         "--out", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "500 customers" in result.stdout
    assert len(_read_back(path)) == 500
