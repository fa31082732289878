"""The input contract: the user's own key, column names, vocabulary, attributes and warehouse.

Every build runs in one dbt process (tests/python/dbt_batch.py) to pay dbt's start-up once;
each test then reads its case's result. The reference is a build of the embedded seed.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import PROJECT_ROOT, SEED_CSV, copy_database

pytestmark = pytest.mark.integration

BATCH = Path(__file__).with_name("dbt_batch.py")

SEGMENTS = (
    "select customer_id, kmeans_segment_id, ward_segment_id, kmeans_segment_name, "
    "ward_segment_name from marts.mart_customer_segments"
)
REJECTED = (
    "select input_row, customer_id, rejection_rule, rejection_reason "
    "from marts.mart_customers_rejected order by input_row"
)

#: Region and channel names of the embedded codes, written in mixed case and with padding.
REGION_NAMES = {"0": "usa/canada/uk/AUSTRALIA", "1": " Western Europe ", "2": "rest of the world"}
CHANNEL_NAMES = {
    "1": "google",
    "2": "FACEBOOK",
    "3": "YouTube",
    "4": "LinkedIn",
    "5": "twitter",
    "6": "Instagram",
    "7": " friend",
    "8": "other",
}


#: The behavioural feature set of the "Features" section of docs/methodology.md.
BEHAVIOURAL_FEATURES = [
    {"name": "minutes_watched", "transform": "log1p"},
    {"name": "clv", "transform": "winsorize", "quantile": 0.99},
]


def _embedded() -> pd.DataFrame:
    frame = pd.read_csv(SEED_CSV, dtype=str, keep_default_na=False)
    frame.insert(0, "row", np.arange(1, len(frame) + 1))
    return frame


def _text_keys(n: int, seed: int) -> list[str]:
    """Distinct text keys whose sort order has nothing to do with the row order."""
    rng = np.random.default_rng(seed)
    return [f"CRM-{value:06x}" for value in rng.permutation(16**6)[:n]]


def _copy_project(target: Path) -> Path:
    """A copy of the dbt project (no virtualenv, no build output) whose seeds a test may edit."""
    target.mkdir()
    for name in ["models", "macros", "seeds", "python_models", "analyses"]:
        shutil.copytree(PROJECT_ROOT / name, target / name)
    (target / "tests").mkdir()
    shutil.copytree(PROJECT_ROOT / "tests" / "dbt", target / "tests" / "dbt")
    for name in ["dbt_project.yml", "profiles.yml"]:
        shutil.copy(PROJECT_ROOT / name, target / name)
    return target


def _case(name, tmp, args, variables=None, queries=None, project=None):
    args = [*args, "--target-path", str(tmp / f"target-{name}")]
    if variables:
        args += ["--vars", json.dumps(variables)]
    if project is not None:
        args += ["--project-dir", str(project)]
    return {"args": args, "database": str(tmp / f"{name}.duckdb"), "queries": queries or {}}


def _cases(tmp: Path) -> dict[str, dict]:
    embedded = _embedded()
    cases = {}

    # Shuffled rows, text keys: same customers, other order, keys that sort differently.
    keyed = embedded.assign(account_id=_text_keys(len(embedded), seed=7))
    shuffled = keyed.sample(frac=1.0, random_state=11)
    shuffled[["account_id", "row", "minutes_watched", "CLV", "region", "channel"]].to_csv(
        tmp / "shuffled.csv", index=False
    )
    cases["shuffled"] = _case(
        "shuffled",
        tmp,
        ["build"],
        {
            "customers_path": str(tmp / "shuffled.csv"),
            "customer_columns": {"customer_id": "account_id"},
        },
        {
            "segments": SEGMENTS,
            "types": "select distinct typeof(customer_id) from marts.mart_customer_segments",
        },
    )

    # A CRM export with its own column names and, instead of codes, region and channel names in
    # mixed case: the names test reads this build too (one full build fewer than a file of its
    # own; the key and column mapping are checked by the mapped test).
    crm = pd.DataFrame(
        {
            "account_id": keyed["account_id"],
            "watch_minutes": embedded["minutes_watched"],
            "lifetime_value": embedded["CLV"],
            "market": embedded["region"].map(REGION_NAMES),
            "source": embedded["channel"].map(CHANNEL_NAMES),
        }
    )
    # The example of docs/your-data.md: a categorical attribute that is only profiled (with blanks).
    crm["plan"] = [["pro", "basic", ""][i % 3] for i in range(len(crm))]
    crm.to_csv(tmp / "crm.csv", index=False)
    crm_columns = {
        "customer_id": "account_id",
        "minutes_watched": "watch_minutes",
        "clv": "lifetime_value",
        "region": "market",
        "channel": "source",
    }
    cases["mapped"] = _case(
        "mapped",
        tmp,
        ["build"],
        {
            "customers_path": str(tmp / "crm.csv"),
            "customer_columns": crm_columns,
            "customer_attributes": [{"name": "plan", "type": "categorical", "if_blank": "Unknown"}],
        },
        {
            "segments": SEGMENTS,
            "plans": "select feature_name, count(*) from marts.mart_segment_centroids "
            "where not is_segmentation_feature and segmentation_method = 'kmeans' group by 1 "
            "order by 1",
        },
    )

    # The same export as a table in another schema of the build database, and in another file.
    # Only the input relation differs from the mapped case, whose full build checks everything
    # downstream of the same rows: these two build the segments and what they read, with
    # their tests (cautious: only the tests whose every parent is built).
    segments_only = [
        "build",
        "--select",
        "+mart_customer_segments",
        "--indirect-selection",
        "cautious",
    ]
    with duckdb.connect(str(tmp / "in_schema.duckdb")) as connection:
        connection.execute("create schema crm")
        connection.execute(
            "create table crm.accounts as select * from read_csv(?, all_varchar = true)",
            [str(tmp / "crm.csv")],
        )
    cases["in_schema"] = _case(
        "in_schema",
        tmp,
        segments_only,
        {"customers_schema": "crm", "customers_table": "accounts", "customer_columns": crm_columns},
        {"segments": SEGMENTS, "source": "select distinct input_source from staging.stg_customers"},
    )
    with duckdb.connect(str(tmp / "warehouse.duckdb")) as connection:
        connection.execute(f"create table accounts as select * from read_csv('{tmp / 'crm.csv'}')")
    cases["attached"] = _case(
        "attached",
        tmp,
        segments_only,
        {
            "customers_attach": str(tmp / "warehouse.duckdb"),
            "customers_database": "crm_file",
            "customers_table": "accounts",
            "customer_columns": crm_columns,
        },
        {"segments": SEGMENTS, "source": "select distinct input_source from staging.stg_customers"},
    )

    # One new channel line and two new region lines in a copy of the project's seeds.
    project = _copy_project(tmp / "project")
    with open(project / "seeds" / "channel_codes.csv", "a") as seed:
        seed.write("9,TikTok,tiktok,TikTok Trendsetters,true\n")
    with open(project / "seeds" / "region_codes.csv", "a") as seed:
        seed.write("3,Nordics,nordics\n4,Middle East,middle_east\n")
    rng = np.random.default_rng(3)
    extra = pd.concat(
        [
            pd.DataFrame(
                {
                    "minutes_watched": rng.integers(100, 4000, 160).astype(str),
                    "CLV": np.round(rng.uniform(60, 200, 160), 2).astype(str),
                    "region": "Middle East",
                    "channel": "TikTok",
                }
            ),
            pd.DataFrame(
                {
                    "minutes_watched": rng.integers(100, 4000, 240).astype(str),
                    "CLV": np.round(rng.uniform(60, 200, 240), 2).astype(str),
                    "region": "nordics",
                    "channel": rng.choice(["1", "2", "3", "4", "7", "8"], 240),
                }
            ),
        ]
    )
    pd.concat([embedded.drop(columns="row"), extra]).to_csv(tmp / "vocabulary.csv", index=False)
    cases["vocabulary"] = _case(
        "vocabulary",
        tmp,
        ["build"],
        {"customers_path": str(tmp / "vocabulary.csv"), "n_segments": 10},
        {
            "segments": "select segmentation_method, segment_id, segment_name, customers "
            "from marts.mart_segments",
            "tiktok_scored": "select s.segment_name, count(*) from marts.mart_scored_customers s "
            "join marts.mart_customer_segments f using (customer_id) "
            "where f.channel = 9 group by 1",
            "features": "select feature_name from intermediate.int_feature_scaler "
            "order by feature_position",
            "regions": "select region_name, count(*) from marts.mart_customer_segments "
            "where region >= 3 group by 1 order by 1",
            "rejected": "select count(*) from marts.mart_customers_rejected",
        },
        project=project,
    )

    # Declared attributes, two numeric and one categorical, all three clustering features.
    attributes = embedded.drop(columns="row").assign(
        courses_completed=[str(i % 7) for i in range(len(embedded))],
        days_since_last_login=[str((i * 37) % 365) for i in range(len(embedded))],
        plan=[["basic", "Pro", "", "team"][i % 4] for i in range(len(embedded))],
        support_tickets=[str(i % 5) for i in range(len(embedded))],
    )
    attributes.to_csv(tmp / "attributes.csv", index=False)
    cases["attributes"] = _case(
        "attributes",
        tmp,
        ["build"],
        {
            "customers_path": str(tmp / "attributes.csv"),
            "customer_attributes": [
                {"name": "courses_completed", "type": "numeric", "minimum": 0},
                {"name": "days_since_last_login", "type": "numeric", "minimum": 0},
                {"name": "plan", "type": "categorical", "if_blank": "Unknown"},
                {"name": "tickets", "type": "numeric", "column": "support_tickets"},
            ],
            "segmentation_features": [
                "minutes_watched",
                {"name": "clv", "transform": "winsorize", "quantile": 0.99},
                "courses_completed",
                {"name": "days_since_last_login", "transform": "log1p", "weight": 0.5},
                "plan",
            ],
            "n_segments": 5,
        },
        {
            "disagreements": "select count(*) from marts.mart_scored_customers s "
            "join intermediate.int_kmeans_assignments k using (customer_id) "
            "where s.kmeans_segment_id is distinct from k.kmeans_segment_id",
            "scored": "select count(*) from marts.mart_scored_customers "
            "where kmeans_segment_id is not null",
            "scaler": "select feature_name, feature_transform, feature_weight, "
            "clip_upper is not null from intermediate.int_feature_scaler order by feature_position",
            "attributes": "select customer_attributes from marts.mart_customer_segments "
            "order by customer_id limit 3",
            "profiles": "select c.segmentation_method, c.segment_id, c.center_original_units, "
            "c.is_segmentation_feature, avg(cast(f.customer_attributes ->> 'tickets' as double)) "
            "from marts.mart_segment_centroids c join marts.mart_customer_segments f "
            "on c.segment_id = case c.segmentation_method when 'kmeans' "
            "then f.kmeans_segment_id else f.ward_segment_id end "
            "where c.feature_name = 'tickets' group by all",
        },
    )

    # The behavioural feature set: watch time and CLV only (channel and region profile).
    cases["behavioural"] = _case(
        "behavioural",
        tmp,
        ["build"],
        {"segmentation_features": BEHAVIOURAL_FEATURES, "n_segments": "auto"},
        {
            "segments": "select segment_name, naming_rule, customers from marts.mart_segments "
            "where segmentation_method = 'kmeans' order by segment_id"
        },
    )

    # Repeated and blank keys, and the ceiling raised so the quarantine can be read.
    keys = ["A1", "A2", "A7", "A7", "", "B1", "A5", "B1", "B1", "A9"] + [f"C{i}" for i in range(30)]
    rows = [
        [key, str(10 * i), f"{1.5 * i:.2f}", str(i % 3), str(i % 8 + 1)]
        for i, key in enumerate(keys, 1)
    ]
    with open(tmp / "keys.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_key", "minutes_watched", "CLV", "region", "channel"])
        writer.writerows(rows)
    cases["keys"] = _case(
        "keys",
        tmp,
        [
            "build",
            "--select",
            "+mart_customers_rejected",
            "+int_customers_cleaned",
            "--indirect-selection",
            "cautious",
        ],
        {
            "customers_path": str(tmp / "keys.csv"),
            "customer_columns": {"customer_id": "customer_key"},
            "max_rejected_share": 0.5,
        },
        {"rejected": REJECTED, "valid": "select count(*) from intermediate.int_customers_cleaned"},
    )

    # Integer keys: compared by value ('007' is '7'), text that is no integer rejected.
    integer_rows = [
        [key, str(10 * i), "5", "1", "2"]
        for i, key in enumerate(
            ["1", "2", "007", "7", "x9", " 12 "] + [str(100 + i) for i in range(20)], 1
        )
    ]
    with open(tmp / "integer_keys.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "minutes_watched", "CLV", "region", "channel"])
        writer.writerows(integer_rows)
    cases["integer_keys"] = _case(
        "integer_keys",
        tmp,
        [
            "build",
            "--select",
            "+mart_customers_rejected",
            "+int_customers_cleaned",
            "--indirect-selection",
            "cautious",
        ],
        {
            "customers_path": str(tmp / "integer_keys.csv"),
            "customer_columns": {"customer_id": "id"},
            "customer_id_type": "integer",
            "max_rejected_share": 0.5,
        },
        {
            "rejected": REJECTED,
            "valid": "select min(customer_id), max(customer_id), count(*), "
            "any_value(typeof(customer_id)) from intermediate.int_customers_cleaned",
        },
    )

    # More rejected than the ceiling: 10 % of the rows name a channel the seed lacks.
    ceiling = embedded.drop(columns="row").copy()
    ceiling.loc[ceiling.index % 10 == 0, "channel"] = "TikTok"
    ceiling.loc[ceiling.index % 97 == 1, "CLV"] = ""
    ceiling.to_csv(tmp / "ceiling.csv", index=False)
    cases["ceiling"] = _case(
        "ceiling", tmp, ["build"], {"customers_path": str(tmp / "ceiling.csv")}
    )

    # Every row rejected.
    everything = embedded.drop(columns="row").assign(region="Atlantis").head(50)
    everything.to_csv(tmp / "everything.csv", index=False)
    cases["all_rejected"] = _case(
        "all_rejected", tmp, ["build"], {"customers_path": str(tmp / "everything.csv")}
    )

    # Configuration is data: hostile names are refused or read literally, never run.
    cases["hostile_column"] = _case(
        "hostile_column",
        tmp,
        ["run", "--select", "base_customers"],
        {"customer_columns": {"minutes_watched": 'minutes"; drop table raw.region_codes; --'}},
        {"seed": "select count(*) from raw.region_codes"},
    )
    cases["hostile_table"] = _case(
        "hostile_table",
        tmp,
        ["run", "--select", "base_customers"],
        {"customers_table": "accounts; drop table raw.region_codes; --"},
        {"seed": "select count(*) from raw.region_codes"},
    )
    hostile_path = tmp / "it's; drop table x; --.csv"
    cases["hostile_path"] = _case(
        "hostile_path",
        tmp,
        ["run", "--select", "base_customers"],
        {"customers_path": str(hostile_path)},
    )
    return cases


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedded_build):
    """name -> {success, messages, rows} for every case, built in one dbt process.

    The reference, case "embedded", is the session's default build (the same `dbt build`
    without vars, asserted to succeed), read from a copy of its database."""
    tmp = tmp_path_factory.mktemp("contract")
    cases = _cases(tmp)
    # The hostile cases start from a copy of the default build, seeds loaded, to show the seed
    # they try to drop survives (a copy costs no `dbt seed` command of its own).
    for name in ["hostile_column", "hostile_table"]:
        copy_database(embedded_build.database, cases[name]["database"])
    order = list(cases)
    spec = tmp / "spec.json"
    spec.write_text(json.dumps([cases[name] for name in order]))
    out = tmp / "out.json"
    subprocess.run([sys.executable, str(BATCH), str(spec), str(out)], check=True, timeout=1800)
    results = dict(zip(order, json.loads(out.read_text()), strict=True))
    shutil.copy(embedded_build.database, tmp / "embedded.duckdb")
    results["embedded"] = {
        "success": True,
        "messages": [],
        "rows": {"segments": [list(row) for row in embedded_build.query(SEGMENTS)]},
    }
    results["_tmp"] = tmp
    return results


def _ok(built, name):
    result = built[name]
    assert result["success"], "\n".join(result["messages"])[-3000:]
    return result["rows"]


def _segments(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows["segments"],
        columns=["customer_id", "kmeans", "ward", "kmeans_name", "ward_name"],
    )


def _embedded_segments(built) -> pd.DataFrame:
    return _segments(_ok(built, "embedded")).rename(columns={"customer_id": "row"})


def test_shuffled_text_keys_keep_every_key_and_every_customers_segments(built):
    rows = _ok(built, "shuffled")
    assert rows["types"] == [["VARCHAR"]]
    shuffled = pd.read_csv(built["_tmp"] / "shuffled.csv", dtype={"account_id": str})
    segments = _segments(rows)
    assert sorted(segments["customer_id"]) == sorted(shuffled["account_id"])
    joined = shuffled[["account_id", "row"]].merge(
        segments, left_on="account_id", right_on="customer_id"
    )
    compared = joined.merge(_embedded_segments(built), on="row", suffixes=("", "_embedded"))
    assert len(compared) == 3834
    for column in ["kmeans", "ward", "kmeans_name", "ward_name"]:
        assert (compared[column] == compared[f"{column}_embedded"]).all(), column


def _segments_by_row(built, name) -> pd.DataFrame:
    """A build's segments of a file keyed by the text keys, as the embedded rows they stand for."""
    keys = pd.DataFrame({"customer_id": _text_keys(3834, seed=7), "row": np.arange(1, 3835)})
    segments = keys.merge(_segments(_ok(built, name)), on="customer_id").drop(columns="customer_id")
    return segments[["row", "kmeans", "ward", "kmeans_name", "ward_name"]]


def test_region_and_channel_names_in_mixed_case_give_the_segments_of_codes(built):
    crm = pd.read_csv(built["_tmp"] / "crm.csv", dtype=str, keep_default_na=False)
    assert set(crm["market"]) == set(REGION_NAMES.values())
    assert set(crm["source"]) == set(CHANNEL_NAMES.values())
    segments = _segments_by_row(built, "mapped")
    pd.testing.assert_frame_equal(
        segments.sort_values("row").reset_index(drop=True),
        _embedded_segments(built).sort_values("row").reset_index(drop=True),
    )


def _assert_same_segments_as_embedded_by_key(built, name):
    compared = _segments_by_row(built, name).merge(
        _embedded_segments(built), on="row", suffixes=("", "_embedded")
    )
    assert len(compared) == 3834
    assert (compared["kmeans"] == compared["kmeans_embedded"]).all()
    assert (compared["ward"] == compared["ward_embedded"]).all()


def test_a_mapped_crm_export_with_its_own_column_names(built):
    _assert_same_segments_as_embedded_by_key(built, "mapped")
    # Its plan (categorical, blanks as Unknown) is profiled per segment, not clustered on.
    plans = dict(_ok(built, "mapped")["plans"])
    assert plans == {"plan_basic": 8, "plan_pro": 8, "plan_unknown": 8}  # one row per segment


def test_a_table_in_another_schema(built):
    _assert_same_segments_as_embedded_by_key(built, "in_schema")
    assert _ok(built, "in_schema")["source"] == [['table "in_schema"."crm"."accounts"']]


def test_a_table_in_an_attached_duckdb_file(built):
    _assert_same_segments_as_embedded_by_key(built, "attached")
    assert _ok(built, "attached")["source"] == [['table "crm_file"."main"."accounts"']]


def test_one_seed_line_adds_a_channel_and_two_add_regions_end_to_end(built):
    rows = _ok(built, "vocabulary")
    assert rows["rejected"] == [[0]]
    names = {name for _, _, name, _ in rows["segments"]}
    assert "Middle East TikTok Trendsetters" in names
    assert "Nordics Multi-Channel" in names
    assert rows["tiktok_scored"] == [["Middle East TikTok Trendsetters", 160]]
    features = [feature for (feature,) in rows["features"]]
    assert "channel_tiktok" in features
    assert features[-2:] == ["region_nordics", "region_middle_east"]
    assert rows["regions"] == [["Middle East", 160], ["Nordics", 240]]


def test_declared_attributes_as_features_score_the_same_in_sql_as_in_python(built):
    rows = _ok(built, "attributes")
    assert rows["disagreements"] == [[0]]
    assert rows["scored"] == [[3834]]
    scaler = [tuple(row) for row in rows["scaler"]]
    assert scaler[:4] == [
        ("minutes_watched", "none", 1.0, False),
        ("clv", "winsorize", 1.0, True),
        ("courses_completed", "none", 1.0, False),
        ("days_since_last_login", "log1p", 0.5, False),
    ]
    # One feature per category, in the categories' (binary) sort order.
    assert [name for name, *_ in scaler[4:]] == [
        "plan_pro",
        "plan_unknown",
        "plan_basic",
        "plan_team",
    ]
    first = json.loads(rows["attributes"][0][0])
    assert first == {
        "courses_completed": 0.0,
        "days_since_last_login": 0.0,
        "plan": "basic",
        "tickets": 0.0,
    }
    assert json.loads(rows["attributes"][2][0])["plan"] == "Unknown"
    # An attribute that is no feature is profiled per segment: its mean, checked directly.
    profiles = rows["profiles"]
    assert len(profiles) == 10  # 5 k-means and 5 Ward segments
    for _, _, mean, is_feature, direct in profiles:
        assert not is_feature and mean == pytest.approx(direct, rel=1e-12)


def test_repeated_and_blank_keys_are_quarantined_naming_the_other_rows(built):
    rows = _ok(built, "keys")
    rejected = {row: (rule, reason) for row, _, rule, reason in rows["rejected"]}
    assert rejected == {
        3: ("customer_id_repeated", "customer_id 'A7' is also on input row(s) 4"),
        4: ("customer_id_repeated", "customer_id 'A7' is also on input row(s) 3"),
        5: ("customer_id_blank", "customer_id is blank"),
        6: ("customer_id_repeated", "customer_id 'B1' is also on input row(s) 8, 9"),
        8: ("customer_id_repeated", "customer_id 'B1' is also on input row(s) 6, 9"),
        9: ("customer_id_repeated", "customer_id 'B1' is also on input row(s) 6, 8"),
    }
    assert rows["valid"] == [[40 - 6]]


def test_integer_keys_are_compared_as_integers(built):
    rows = _ok(built, "integer_keys")
    rejected = {row: (key, rule, reason) for row, key, rule, reason in rows["rejected"]}
    assert rejected == {
        3: (7, "customer_id_repeated", "customer_id '007' is also on input row(s) 4"),
        4: (7, "customer_id_repeated", "customer_id '7' is also on input row(s) 3"),
        5: (None, "customer_id_not_an_integer", "customer_id is not an integer: x9"),
    }
    assert rows["valid"] == [[1, 119, 23, "BIGINT"]]


def test_a_rejected_share_above_the_ceiling_fails_with_counts_reasons_and_the_var(built):
    result = built["ceiling"]
    assert not result["success"]
    message = " ".join(result["messages"])
    ceiling = pd.read_csv(built["_tmp"] / "ceiling.csv", dtype=str, keep_default_na=False)
    rejected = int(((ceiling["channel"] == "TikTok") | (ceiling["CLV"] == "")).sum())
    assert f"{rejected:,} of 3,834 rows ({100 * rejected / 3834:.1f} %)" in message
    assert "max_rejected_share = 0.05" in message
    assert "channel 'TikTok' is not a code, name or slug of seed channel_codes" in message
    assert "CLV is blank" in message
    assert "--vars '{max_rejected_share: 0.5}'" in message
    assert "Traceback" not in message
    # Nothing downstream ran, so there is nothing to publish: publish refuses.
    tmp = built["_tmp"]
    published = subprocess.run(
        [
            str(Path(sys.executable).with_name("customer-segmentation")),
            "publish",
            "--database",
            str(tmp / "ceiling.duckdb"),
            "--serving-path",
            str(tmp / "ceiling_serving.duckdb"),
            "--run-results",
            str(tmp / "target-ceiling" / "run_results.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert published.returncode == 1
    assert not (tmp / "ceiling_serving.duckdb").exists()


def test_an_input_whose_rows_are_all_rejected_says_so(built):
    result = built["all_rejected"]
    assert not result["success"]
    message = " ".join(result["messages"])
    assert "every one of the 50 rows of customers input" in message
    assert "there is nothing to segment" in message
    assert "region 'Atlantis' is not a code, name or slug of seed region_codes" in message
    assert "Traceback" not in message


def test_hostile_configuration_is_refused_or_read_literally_never_run(built):
    column = built["hostile_column"]
    assert not column["success"]
    assert "is not a usable name (it contains a quote" in " ".join(column["messages"])
    table = built["hostile_table"]
    assert not table["success"]
    assert (
        'table "hostile_table"."main"."accounts; drop table raw.region_codes; --" does not exist'
        in " ".join(table["messages"])
    )
    path = built["hostile_path"]
    assert not path["success"]
    assert "does not exist" in " ".join(path["messages"])
    # The seed the hostile values tried to drop is still there.
    for name in ["hostile_column", "hostile_table"]:
        with duckdb.connect(str(built["_tmp"] / f"{name}.duckdb"), read_only=True) as connection:
            assert connection.execute("select count(*) from raw.region_codes").fetchone()[0] == 3


def test_watch_time_moves_behavioural_segments_but_never_classic_ones(built):
    """The comparison of docs/methodology.md: classic segments are channel/region groups watch
    time never moves; behavioural segments (watch time, CLV) follow it."""
    from customer_segmentation.sensitivity import segment_moves

    tmp = built["_tmp"]
    _ok(built, "embedded")
    classic = segment_moves(tmp / "embedded.duckdb", "minutes_watched", (0.0, 0.5, 2.0))
    assert classic == {0.0: 0.0, 0.5: 0.0, 2.0: 0.0}
    rows = _ok(built, "behavioural")
    assert [rule for _, rule, _ in rows["segments"]] == ["behaviour"] * len(rows["segments"])
    behavioural = segment_moves(tmp / "behavioural.duckdb", "minutes_watched", (0.0, 0.5, 2.0))
    assert behavioural[0.0] > 0.5 and behavioural[0.5] > 0.02 and behavioural[2.0] > 0.02


def test_a_table_input_is_a_source_with_freshness(dbt_runner, tmp_path):
    """`dbt source freshness` checks the table input through the declared source."""
    database = tmp_path / "fresh" / "segments.duckdb"
    database.parent.mkdir()
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema crm")
        connection.execute(
            "create table crm.accounts as select *, now() - interval 40 day as loaded_at "
            "from read_csv(?, all_varchar = true)",
            [str(SEED_CSV)],
        )
    variables = {
        "customers_schema": "crm",
        "customers_table": "accounts",
        "customers_loaded_at_field": "loaded_at",
    }
    result = dbt_runner(["source", "freshness", "--vars", json.dumps(variables)], name="fresh")
    assert "WARN freshness of customer_input.customers" in result.output, result.output[-2000:]
