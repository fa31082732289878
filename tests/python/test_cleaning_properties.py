"""Property-based tests of the cleaning and encoding SQL (stg_customers and what follows).

Running dbt per example would take seconds each, so the SQL dbt compiled for the shared
embedded build is executed directly in an in-memory DuckDB, with a table standing in for
base_customers (every column text, as a CSV arrives). Hypothesis generates inputs row by row
from labelled strategies: a row built from valid values must be segmented, a row with a broken
value must be rejected with a reason naming the broken column; and whatever the input, rows in
= rows segmented + rows rejected.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.integration

MODELS = {
    "stg_regions": "staging/stg_regions.sql",
    "stg_channels": "staging/stg_channels.sql",
    "stg_customers": "staging/stg_customers.sql",
    "int_customers_cleaned": "intermediate/int_customers_cleaned.sql",
    "mart_customers_rejected": "marts/mart_customers_rejected.sql",
    "int_customer_features_encoded": "intermediate/int_customer_features_encoded.sql",
}
CHANNELS = ["google", "facebook", "youtube", "linkedin", "twitter", "instagram", "friend", "other"]
REGIONS = ["usa_canada_uk_australia", "western_europe", "rest_of_world"]
RAW_COLUMNS = ["minutes_watched_raw", "clv_raw", "region_raw", "channel_raw"]
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
#: Texts that name a code by name or slug (matched case-insensitively, trimmed).
CODE_NAMES = {
    2: {
        text.lower()
        for row in pd.read_csv(SEEDS / "region_codes.csv").itertuples()
        for text in (row.region_name, row.region_slug)
    },
    3: {
        text.lower()
        for row in pd.read_csv(SEEDS / "channel_codes.csv").itertuples()
        for text in (row.channel_name, row.channel_slug)
    },
}
RELATION = re.compile(r'"[^"]+"\."\w+"\."(\w+)"')


@pytest.fixture(scope="module")
def cleaning(embedded_build):
    """An in-memory DuckDB with base_customers (a table) and the cleaning models as views."""
    compiled = embedded_build.database.parent / "target" / "compiled" / "customer_segmentation"
    connection = duckdb.connect()
    connection.execute(
        "create table base_customers (input_row bigint, customer_id_raw varchar, "
        "minutes_watched_raw varchar, clv_raw varchar, region_raw varchar, "
        "channel_raw varchar, input_source varchar)"
    )
    for seed in ["region_codes", "channel_codes"]:
        connection.execute(
            f"create table {seed} as select * from read_csv(?)", [str(SEEDS / f"{seed}.csv")]
        )
    for name, path in MODELS.items():
        sql = RELATION.sub(r"\1", (compiled / "models" / Path(path)).read_text())
        # stg_customers (the costly query) is a table refreshed per example; the rest are views.
        kind = "table" if name == "stg_customers" else "view"
        connection.execute(f"create {kind} {name} as {sql}")
        if name == "stg_customers":
            connection.execute(f"create macro refresh_staging() as table {sql}")
    yield connection
    connection.close()


def load(connection, rows: list[tuple[str | None, ...]]) -> None:
    batch = pd.DataFrame(rows, columns=RAW_COLUMNS, dtype=object)  # noqa: F841 - read by DuckDB
    connection.execute("delete from base_customers")
    connection.execute(
        "insert into base_customers select row_number() over (), null, "
        "minutes_watched_raw::varchar, clv_raw::varchar, region_raw::varchar, "
        "channel_raw::varchar, 'hypothesis' from batch"
    )
    connection.execute("delete from stg_customers")
    connection.execute("insert into stg_customers select * from refresh_staging()")


def padded(text_strategy):
    """The value as text, sometimes surrounded by spaces (trimmed by the cleaning)."""
    return st.tuples(
        st.sampled_from(["", " ", "  "]), text_strategy, st.sampled_from(["", " "])
    ).map("".join)


def number_text(value: float) -> st.SearchStrategy[str]:
    forms = [repr(float(value)), f"{value:.6e}" if value else "0"]
    if float(value).is_integer() and abs(value) < 1e15:
        forms.append(str(int(value)))
    return st.sampled_from(forms)


amounts = st.floats(min_value=0, max_value=1e15, allow_nan=False, allow_subnormal=False)
valid_minutes = st.one_of(st.just(""), padded(amounts.flatmap(number_text)))
valid_clv = padded(amounts.flatmap(number_text))
valid_region = padded(st.sampled_from(["0", "1", "2", "1.0", "2.0", "0e0"]))
valid_channel = padded(st.integers(1, 8).flatmap(lambda c: st.sampled_from([str(c), f"{c}.0"])))
valid_row = st.tuples(valid_minutes, valid_clv, valid_region, valid_channel)

junk = st.text(alphabet=st.characters(categories=["L", "P", "S"]), min_size=1, max_size=8).filter(
    lambda s: s.strip().lower().lstrip("+-") not in {"nan", "inf", "infinity"} and s.strip()
)
# Small negatives get their own strategy: a rule like "< -1" instead of "< 0" must not survive.
negative = st.one_of(
    st.floats(max_value=-1e-9, min_value=-1.0), st.floats(max_value=-1.0, min_value=-1e15)
).map(repr)
not_finite = st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "-Infinity"])
too_large = st.floats(
    min_value=1.01e15, max_value=1e300, allow_nan=False, allow_infinity=False
).map(repr)
bad_code = st.one_of(junk, st.integers(-50, 50).map(str), st.floats(0, 9).map(repr))

# (column index, column name in the reason, strategy of a broken value)
BREAKERS = [
    (0, "minutes_watched", st.one_of(junk, negative, not_finite, too_large)),
    (1, "CLV", st.one_of(st.just(""), junk, negative, not_finite, too_large)),
    (2, "region", st.one_of(st.just(""), bad_code.filter(lambda s: s not in {"0", "1", "2"}))),
    (3, "channel", st.one_of(st.just(""), bad_code.filter(lambda s: s not in set("12345678")))),
]


@st.composite
def labelled_rows(draw):
    """Rows with their expected outcome: None (valid) or the set of broken column names."""
    rows, labels = [], []
    for _ in range(draw(st.integers(0, 25))):
        row = list(draw(valid_row))
        broken = set()
        for index, column, strategy in BREAKERS:
            if draw(st.integers(0, 5)) == 0:
                value = draw(strategy)
                # A generated "bad code" can still be a valid code written differently (1.0).
                if index >= 2 and _is_valid_code(value, index):
                    continue
                row[index] = value
                broken.add(column)
        rows.append(tuple(row))
        labels.append(broken or None)
    return rows, labels


def _is_valid_code(text: str, index: int) -> bool:
    if text.strip().lower() in CODE_NAMES[index]:
        return True
    try:
        value = float(text.strip())
    except ValueError:
        return False
    allowed = {0, 1, 2} if index == 2 else set(range(1, 9))
    return math.isfinite(value) and value in allowed


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(data=labelled_rows())
def test_rows_in_equal_segmented_plus_rejected_and_valid_rows_are_kept(cleaning, data):
    rows, labels = data
    load(cleaning, rows)
    kept = {
        r[0] for r in cleaning.execute("select customer_id from int_customers_cleaned").fetchall()
    }
    rejected = dict(
        cleaning.execute(
            "select customer_id, rejection_reason from mart_customers_rejected"
        ).fetchall()
    )
    staged = cleaning.execute("select count(*) from stg_customers").fetchone()[0]
    assert staged == len(rows)
    assert len(kept) + len(rejected) == len(rows)
    assert kept.isdisjoint(rejected)
    for customer_id, broken in enumerate(labels, start=1):
        if broken is None:
            assert customer_id in kept, (rows[customer_id - 1], rejected.get(customer_id))
        else:
            reason = rejected.get(customer_id)
            assert reason is not None, ("broken row was kept", rows[customer_id - 1], broken)
            for column in broken:
                assert column in reason, (rows[customer_id - 1], reason)


@FAST
@given(rows=st.lists(st.tuples(*(st.one_of(st.none(), st.text(max_size=6)),) * 4), max_size=20))
def test_any_text_is_segmented_or_rejected_never_dropped(cleaning, rows):
    load(cleaning, rows)
    counts = cleaning.execute(
        "select (select count(*) from stg_customers), "
        "(select count(*) from int_customers_cleaned), "
        "(select count(*) from mart_customers_rejected), "
        "(select count(*) from stg_customers where is_valid = (rejection_reason is not null))"
    ).fetchone()
    assert counts[0] == len(rows)
    assert counts[1] + counts[2] == len(rows)
    assert counts[3] == 0  # valid exactly when there is no reason


@FAST
@given(rows=st.lists(valid_row, min_size=1, max_size=20))
def test_valid_rows_are_parsed_and_encoded_exactly(cleaning, rows):
    load(cleaning, rows)
    encoded = cleaning.execute(
        "select * from int_customer_features_encoded order by customer_id"
    ).fetchall()
    columns = [d[0] for d in cleaning.description]
    assert len(encoded) == len(rows)
    for (minutes, clv, region, channel), values in zip(rows, encoded, strict=True):
        row = dict(zip(columns, values, strict=True))
        blank = minutes.strip() == ""
        assert row["minutes_watched"] == (0.0 if blank else float(minutes))
        assert row["minutes_watched_was_blank"] == (1.0 if blank else 0.0)
        assert row["clv"] == float(clv)
        assert row["region_code"] == float(region) and row["channel_code"] == float(channel)
        assert row["minutes_watched_log1p"] == pytest.approx(math.log1p(row["minutes_watched"]))
        one_hot_channel = [row[f"channel_{slug}"] for slug in CHANNELS]
        one_hot_region = [row[f"region_{slug}"] for slug in REGIONS]
        assert one_hot_channel == [1.0 if i == int(float(channel)) else 0.0 for i in range(1, 9)]
        assert one_hot_region == [1.0 if i == int(float(region)) else 0.0 for i in range(3)]
