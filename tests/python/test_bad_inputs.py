"""The bad-input corpus: every malformed value, row and file, and what the project does with it.

Outcomes are one of three:
- quarantined: the row lands in ``mart_customers_rejected`` with the exact reason, the build goes
  on;
- accepted: the row (or file) is segmented as it is;
- stopped: the build fails with one line naming the file and the column/line or the numbers
  (or the var) and saying what to fix.

Every case runs in ONE helper process (``dbt_batch.py``) so dbt starts once: the row-level
cases share one file and one ``dbt run`` of the cleaning models, the file-level and var cases
each run the smallest selection that reaches their check.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

BATCH = Path(__file__).with_name("dbt_batch.py")
HEADER = ["minutes_watched", "CLV", "region", "channel"]
# The cleaning models and what they read (the code seeds among them), tests left out.
CLEANING = ["+int_customers_cleaned", "+mart_customers_rejected"]
# `dbt build` (seeds and models) without the data and unit tests: what `dbt run` was before
# the cleaning models read the code seeds.
NO_TESTS = ["--exclude", "resource_type:test", "resource_type:unit_test"]


def _unknown(column: str, value: str) -> str:
    """The reason of a region or channel value that no line of its code seed has."""
    seed = f"{column}_codes"
    return (
        f"{column} '{value}' is not a code, name or slug of seed {seed} "
        f"(add a line to seeds/{seed}.csv)"
    )


#: Codes of the seed names the corpus uses (values are matched by code, name or slug).
NAME_CODES = {"facebook": 2, "western europe": 1, "rest_of_world": 2}

# (label, minutes_watched, CLV, region, channel, expected rejection_reason or None = accepted)
ROW_CASES = [
    ("valid", "1200", "150.25", "0", "1", None),
    ("minutes as text", "abc", "10", "0", "1", "minutes_watched is not a number: abc"),
    ("CLV as text", "10", "ten", "1", "2", "CLV is not a number: ten"),
    ("CLV with a thousands separator", "10", "1,234.50", "1", "2", "CLV is not a number: 1,234.50"),
    ("region as an unknown name", "10", "10", "Europe", "2", _unknown("region", "Europe")),
    ("region as a name", "10", "10", " western EUROPE ", "2", None),
    ("region as a slug", "10", "10", "rest_of_world", "2", None),
    ("channel as a name", "10", "10", "1", "Facebook", None),
    ("region out of range", "10", "10", "3", "2", _unknown("region", "3")),
    ("region negative", "10", "10", "-1", "2", _unknown("region", "-1")),
    ("channel 0", "10", "10", "1", "0", _unknown("channel", "0")),
    ("channel 9", "10", "10", "1", "9", _unknown("channel", "9")),
    ("fractional region", "10", "10", "1.5", "2", _unknown("region", "1.5")),
    ("fractional channel", "10", "10", "1", "2.5", _unknown("channel", "2.5")),
    ("whole-number float codes", "10", "10", "1.0", "2.0", None),
    ("blank minutes", "", "10", "1", "2", None),
    ("blank CLV", "10", "", "1", "2", "CLV is blank"),
    ("whitespace CLV", "10", "   ", "1", "2", "CLV is blank"),
    ("blank region", "10", "10", "", "2", "region is blank"),
    ("blank channel", "10", "10", "1", "", "channel is blank"),
    ("all blank", "", "", "", "", "CLV is blank; region is blank; channel is blank"),
    ("minutes nan", "nan", "10", "1", "2", "minutes_watched is not finite: nan"),
    ("CLV NaN", "10", "NaN", "1", "2", "CLV is not finite: NaN"),
    ("CLV inf", "10", "inf", "1", "2", "CLV is not finite: inf"),
    (
        "CLV -Infinity",
        "10",
        "-Infinity",
        "1",
        "2",
        "CLV is not finite: -Infinity; CLV is negative: -Infinity",
    ),
    ("region nan", "10", "10", "nan", "2", _unknown("region", "nan")),
    ("negative minutes", "-5", "10", "1", "2", "minutes_watched is negative: -5"),
    ("negative CLV", "10", "-0.01", "1", "2", "CLV is negative: -0.01"),
    (
        "several broken rules",
        "-1",
        "x",
        "7",
        "0",
        "minutes_watched is negative: -1; CLV is not a number: x; "
        f"{_unknown('region', '7')}; {_unknown('channel', '0')}",
    ),
    ("CLV above 1e15", "10", "2e15", "1", "2", "CLV is above 1e15: 2e15"),
    ("minutes above 1e15", "1e16", "10", "1", "2", "minutes_watched is above 1e15: 1e16"),
    ("unterminated quote", '"3', "4", "1", "2", 'minutes_watched is not a number: "3'),
    ("extreme valid: zeros", "0", "0", "0", "8", None),
    ("extreme valid: 1e15", "1e15", "999999999999999", "2", "1", None),
    ("extreme valid: tiny", "0.000001", "0.01", "2", "1", None),
    ("scientific and signs", "+1.5E3", "1e2", "0", "3", None),
    ("padded with spaces", "  42 ", " 7.5 ", " 1 ", " 4 ", None),
    ("negative zero CLV", "10", "-0", "1", "2", None),
    ("duplicate row a", "500", "50", "2", "7", None),
    ("duplicate row b", "500", "50", "2", "7", None),
]


def _write_csv(path: Path, rows: list[list[str]], header=HEADER, **writer_options) -> Path:
    with open(path, "w", newline="", encoding=writer_options.pop("encoding", "utf-8")) as out:
        writer = csv.writer(out, **writer_options)
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def _valid_rows(n: int) -> list[list[str]]:
    return [[str(10 * i), f"{1.5 * i:.2f}", str(i % 3), str(i % 8 + 1)] for i in range(1, n + 1)]


def _vars(**values) -> list[str]:
    return ["--vars", json.dumps(values)]


def _case(args, database, queries=None):
    return {"args": args, "database": str(database), "queries": queries or {}}


COUNTS = {
    "counts": "select (select count(*) from staging.base_customers), "
    "(select count(*) from intermediate.int_customers_cleaned), "
    "(select count(*) from marts.mart_customers_rejected)",
}


def _file_cases(tmp: Path) -> dict[str, tuple[dict, str | None]]:
    """name -> (dbt case, expected message or None when the run must succeed)."""
    cases = {}
    small = _write_csv(tmp / "small.csv", _valid_rows(40))

    def run_cleaning(name, path, expected, select=CLEANING, command="run", database=None, **extra):
        cases[name] = (
            _case(
                [
                    "build" if command == "run" else command,
                    "--select",
                    *select,
                    *(NO_TESTS if command == "run" else []),
                    *_vars(customers_path=str(path), **extra),
                ],
                tmp / f"{database or name}.duckdb",
                COUNTS if expected is None and select == CLEANING else None,
            ),
            expected,
        )

    empty = tmp / "empty.csv"
    empty.write_bytes(b"")
    run_cleaning("empty file", empty, f"customers file '{empty}' is empty (0 bytes)")
    header_only = _write_csv(tmp / "header_only.csv", [])
    run_cleaning(
        "header only", header_only, f"customers file '{header_only}' has a header but no data rows"
    )
    no_channel = _write_csv(tmp / "no_channel.csv", [r[:3] for r in _valid_rows(5)], HEADER[:3])
    run_cleaning(
        "missing column",
        no_channel,
        f"customers input file '{no_channel}' has no column \"channel\" "
        "(customer_columns.channel); its columns are: minutes_watched, CLV, region",
    )
    renamed = _write_csv(
        tmp / "renamed.csv", _valid_rows(5), ["minutes", "CLV", "region", "channel"]
    )
    run_cleaning(
        "renamed column",
        renamed,
        f"customers input file '{renamed}' has no column \"minutes_watched\"",
    )
    no_header = _write_csv(tmp / "no_header.csv", _valid_rows(5), header=None)
    run_cleaning(
        "no header", no_header, "The first line of a file must be a header naming its columns"
    )
    ragged = tmp / "ragged.csv"
    ragged.write_text("minutes_watched,CLV,region,channel\n1,2,0,1\n3,4,1,2,9\n5,6,2\n")
    run_cleaning(
        "row with too many fields",
        ragged,
        f"customers file '{ragged}' line 3 is malformed (Expected Number of Columns: 4 "
        "Found: 5: 3,4,1,2,9); 2 malformed line(s) in all",
    )
    xlsx = tmp / "customers.xlsx"
    xlsx.write_bytes(b"PK\x03\x04")
    run_cleaning(
        "unknown extension", xlsx, f"var customers_path: cannot tell the format of '{xlsx}'"
    )
    missing = tmp / "nowhere.csv"
    run_cleaning("missing file", missing, f"customers file '{missing}' does not exist")
    # Accepted files (another delimiter, BOM + CRLF, upper-case header, extra columns).
    run_cleaning(
        "semicolon delimiter",
        _write_csv(tmp / "semicolon.csv", _valid_rows(30), delimiter=";"),
        None,
    )
    run_cleaning(
        "tab delimiter (.tsv)", _write_csv(tmp / "tabs.tsv", _valid_rows(30), delimiter="\t"), None
    )
    run_cleaning(
        "BOM and CRLF",
        _write_csv(
            tmp / "bom_crlf.csv", _valid_rows(30), encoding="utf-8-sig", lineterminator="\r\n"
        ),
        None,
    )
    run_cleaning(
        "header case and extra columns",
        _write_csv(
            tmp / "extra.csv",
            [[*r, "x"] for r in _valid_rows(30)],
            ["MINUTES_WATCHED", "clv", "Region", "Channel", "notes"],
        ),
        None,
    )
    # Segmentability: checked by the first clustering model.
    to_ward = ["+int_ward_leaves"]
    three_distinct = _write_csv(tmp / "three_distinct.csv", _valid_rows(3) * 10)
    run_cleaning(
        "too few distinct customers",
        three_distinct,
        f"customers input {three_distinct}: only 3 distinct customers (by their features) "
        "among 30 valid customers, fewer than n_segments = 8",
        to_ward,
    )
    all_bad = _write_csv(tmp / "all_bad.csv", [["x", "y", "z", "w"]] * 12)
    run_cleaning(
        "every row rejected",
        all_bad,
        f"every one of the 12 rows of customers input {all_bad} was rejected, so there is "
        "nothing to segment",
        to_ward,
    )
    # The var cases share one database: the clustering input is built once, then each case runs
    # only int_ward_leaves (the first model reading the numeric vars) or compiles the feature list.
    run_cleaning(
        "small file built", small, None, ["+int_customer_features_scaled"], database="vars"
    )
    for name, expected, extra in [
        (
            "more segments than customers",
            f"customers input {small}: 40 valid customers, fewer than n_segments = 100",
            {"n_segments": 100},
        ),
        (
            "n_segments 0",
            "var n_segments must be a whole number of at least 1 or 'auto', got '0'",
            {"n_segments": 0},
        ),
        (
            "n_segments abc",
            "var n_segments must be a whole number of at least 1 or 'auto', got 'abc'",
            {"n_segments": "abc"},
        ),
        (
            "random_state 1.5",
            "var random_state must be a whole number of at least 0, got '1.5'",
            {"random_state": 1.5},
        ),
    ]:
        run_cleaning(name, small, expected, ["int_ward_leaves"], database="vars", **extra)
    # The history vars are checked where the build's plan is made (int_segmentation_run).
    for name, expected, extra in [
        (
            "segmentation_mode sometimes",
            "var segmentation_mode must be one of auto, fit, score, got 'sometimes'",
            {"segmentation_mode": "sometimes"},
        ),
        (
            "model_version not stored",
            "var model_version = 7: no such version is stored (stored versions: none yet)",
            {"model_version": 7},
        ),
        (
            "outlier_quantile 2",
            "var outlier_quantile must be a number in (0, 1), got '2'",
            {"outlier_quantile": 2},
        ),
    ]:
        run_cleaning(name, small, expected, ["int_segmentation_run"], database="vars", **extra)
    for name, expected, features in [
        (
            "unknown feature",
            "var segmentation_features: unknown feature 'minutes'; choose from",
            ["minutes", "clv"],
        ),
        ("no features", "var segmentation_features is empty", []),
        ("duplicate feature", "var segmentation_features lists a feature twice", ["clv", "clv"]),
    ]:
        run_cleaning(
            name,
            small,
            expected,
            ["int_customer_features_scaled"],
            command="compile",
            database="vars",
            segmentation_features=features,
        )
    # DuckDB's memory limit comes from the environment (profiles.yml): a value DuckDB could
    # not use is named before anything runs; a share of RAM is a size too.
    for name, limit, expected in [
        (
            "memory limit not a size",
            "banana",
            "DBT_DUCKDB_MEMORY_LIMIT=banana is not a memory size such as 2GiB, 4GB or 25%",
        ),
        ("memory limit zero", "0GB", "DBT_DUCKDB_MEMORY_LIMIT=0GB is not a memory size"),
        ("memory limit share of RAM", "25%", None),
    ]:
        run_cleaning(name, small, expected, ["int_segmentation_settings"], database="vars")
        cases[name][0]["env"] = {"DBT_DUCKDB_MEMORY_LIMIT": limit}
    return cases


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Run the row corpus and every file-level case in one dbt process; return their results."""
    tmp = tmp_path_factory.mktemp("bad_inputs")
    rows_path = _write_csv(tmp / "bad_rows.csv", [list(case[1:5]) for case in ROW_CASES])
    rows_case = _case(
        [
            "build",
            "--select",
            *CLEANING,
            *NO_TESTS,
            *_vars(customers_path=str(rows_path), max_rejected_share=1),
        ],
        tmp / "rows.duckdb",
        {
            **COUNTS,
            "staged": "select customer_id, rejection_reason, minutes_watched, "
            "minutes_watched_was_blank, region_code, channel_code "
            "from staging.stg_customers order by customer_id",
            "rejected": "select customer_id, rejection_reason from marts.mart_customers_rejected "
            "order by customer_id",
        },
    )
    file_cases = _file_cases(tmp)
    spec = [rows_case, *(case for case, _ in file_cases.values())]
    (tmp / "spec.json").write_text(json.dumps(spec))
    completed = subprocess.run(
        [sys.executable, str(BATCH), str(tmp / "spec.json"), str(tmp / "out.json")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads((tmp / "out.json").read_text())
    by_name = {
        name: (result, expected)
        for (name, (_, expected)), result in zip(file_cases.items(), results[1:], strict=True)
    }
    return {"rows": results[0], "files": by_name, "rows_path": rows_path}


def test_row_corpus_runs_and_every_row_is_segmented_or_rejected(corpus):
    result = corpus["rows"]
    assert result["success"], result["messages"]
    rows_in, cleaned, rejected = result["rows"]["counts"][0]
    assert rows_in == len(ROW_CASES)
    assert rows_in == cleaned + rejected


@pytest.mark.parametrize("position", range(1, len(ROW_CASES) + 1), ids=[c[0] for c in ROW_CASES])
def test_each_row_gets_its_expected_outcome(corpus, position):
    label, minutes, clv, region, channel, expected = ROW_CASES[position - 1]
    staged = {row[0]: row for row in corpus["rows"]["rows"]["staged"]}
    rejected = dict(corpus["rows"]["rows"]["rejected"])
    _, reason, minutes_value, was_blank, region_code, channel_code = staged[position]
    assert reason == expected, label
    assert rejected.get(position) == expected
    if expected is None:  # accepted: parsed values are the file's
        assert was_blank == (minutes.strip() == "")
        assert minutes_value == (0.0 if was_blank else float(minutes))
        for value, code in ((region, region_code), (channel, channel_code)):
            assert code == NAME_CODES.get(value.strip().lower()) or code == int(float(value))


def test_duplicate_rows_are_two_customers(corpus):
    staged = corpus["rows"]["rows"]["staged"]
    duplicates = [row for row in staged if row[2] == 500.0]
    assert len(duplicates) == 2 and all(row[1] is None for row in duplicates)


FILE_CASES = [
    "empty file",
    "header only",
    "missing column",
    "renamed column",
    "no header",
    "row with too many fields",
    "unknown extension",
    "missing file",
    "semicolon delimiter",
    "tab delimiter (.tsv)",
    "BOM and CRLF",
    "header case and extra columns",
    "too few distinct customers",
    "every row rejected",
    "more segments than customers",
    "small file built",
    "n_segments 0",
    "n_segments abc",
    "random_state 1.5",
    "segmentation_mode sometimes",
    "model_version not stored",
    "outlier_quantile 2",
    "unknown feature",
    "no features",
    "duplicate feature",
    "memory limit not a size",
    "memory limit zero",
    "memory limit share of RAM",
]


def test_every_file_case_is_checked(corpus):
    assert sorted(corpus["files"]) == sorted(FILE_CASES)


@pytest.mark.parametrize("name", FILE_CASES)
def test_file_and_var_cases(corpus, name):
    result, expected = corpus["files"][name]
    if expected is None:
        assert result["success"], result["messages"]
        if "counts" not in result["rows"]:
            return
        rows_in, cleaned, rejected = result["rows"]["counts"][0]
        assert rows_in == 30 and cleaned == 30 and rejected == 0
        return
    assert not result["success"]
    text = "\n".join(result["messages"])
    # The message is there, on one line (dbt may add its own context lines around it).
    assert any(expected in line for line in text.splitlines()), text[-2000:]


def test_parquet_input_values_are_checked_like_csv(tmp_path, dbt_runner):
    path = tmp_path / "customers.parquet"
    duckdb.sql(
        "select * from (values (10.0, 5.0, 0, 1), ('nan'::double, 5.0, 1, 2), "
        "(10.0, -1.0, 3, 9), (null, 7.5, 2, 8)) t(minutes_watched, CLV, region, channel)"
    ).write_parquet(str(path))
    result = dbt_runner(
        [
            "build",
            "--select",
            *CLEANING,
            *NO_TESTS,
            *_vars(customers_path=str(path), max_rejected_share=1),
        ]
    )
    assert result.returncode == 0, result.output[-3000:]
    assert result.query(
        "select customer_id, rejection_reason from marts.mart_customers_rejected order by 1"
    ) == [
        (2, "minutes_watched is not finite: nan"),
        (
            3,
            f"CLV is negative: -1.0; {_unknown('region', '3')}; {_unknown('channel', '9')}",
        ),
    ]
