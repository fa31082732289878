"""The customer table `make test-spark` builds from: the embedded customers as a CRM holds them.

Both builds of the Spark suite read this table through the dbt source
``customer_input.customers`` (docs/your-data.md): the Spark build from the
metastore table ``crm.accounts``, the DuckDB build from the table ``crm.accounts`` of its
build database. The table is what a warehouse export looks like, not the project's file:

- its own text key ``account_id`` (random ``CRM-xxxxxx``, so key order says nothing about the
  embedded row order);
- its own column names, mapped with ``customer_columns``; region and channel as names in
  mixed case and with padding, not codes;
- typed columns: watch minutes as exported text (blank when the customer never watched),
  lifetime value a ``decimal(12, 2)``, a categorical and an integer attribute;
- a few broken rows (a key on two rows, a null key, an unknown channel, a negative value, a
  non-number), which both builds must quarantine alike without touching the segments. The
  null key sorts first on Spark and last on DuckDB unless the SQL says where nulls go, so it
  also checks that the rows of a table are numbered alike on both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED_CSV = PROJECT_ROOT / "seeds" / "customer_segmentation_data.csv"

SCHEMA = "crm"
TABLE = "accounts"

#: Role -> column of the table.
CUSTOMER_COLUMNS = {
    "customer_id": "account_id",
    "minutes_watched": "watch_minutes",
    "clv": "lifetime_value",
    "region": "market",
    "channel": "source",
}

#: The label of a blank plan has a quote and a backslash: both must reach the data literally
#: (a string literal on Spark escapes them differently from DuckDB).
BLANK_PLAN = "didn't say \\ n/a"

ATTRIBUTES = [
    {"name": "plan", "type": "categorical", "if_blank": BLANK_PLAN},
    {"name": "courses_completed", "type": "numeric", "minimum": 0, "if_blank": "zero"},
]

#: The vars that point a build at the table (the same on both adapters).
TABLE_VARS = {
    "customers_schema": SCHEMA,
    "customers_table": TABLE,
    "customer_columns": CUSTOMER_COLUMNS,
    "customer_attributes": ATTRIBUTES,
}


def _names_as_typed(seed: str, column: str) -> dict[str, str]:
    """Code -> the code seed's name for it as people type it: in upper, lower or its own case,
    some with padding (the build matches names trimmed and in any case)."""
    lines = pd.read_csv(PROJECT_ROOT / "seeds" / f"{seed}.csv", dtype=str)
    variants = [str.upper, str.lower, lambda name: f" {name} ", str.lower]
    return {
        line[f"{column}_code"]: variants[i % len(variants)](line[f"{column}_name"])
        for i, line in lines.iterrows()
    }


TEXT_COLUMNS = [
    "account_id",
    "watch_minutes",
    "lifetime_value",
    "market",
    "source",
    "plan",
    "courses_completed",
]

#: Rows no customer should come from: (the rule that rejects it, the row).
BROKEN_ROWS = [
    (
        "customer_id_repeated",
        ["CRM-O'Hara\\1", "120", "10.00", "Western Europe", "Google", "pro", "1"],
    ),
    (
        "customer_id_repeated",
        ["CRM-O'Hara\\1", "130", "11.00", "Western Europe", "Google", "pro", "2"],
    ),
    ("customer_id_blank", ["", "30", "20.00", "Rest of the World", "Facebook", "basic", "0"]),
    ("channel_unknown", ["CRM-tiktok", "50", "30.00", "Western Europe", "TikTok", "basic", "3"]),
    (
        "clv_below_minimum",
        ["CRM-negative", "40", "-5.00", "USA/Canada/UK/Australia", "other", "", "1"],
    ),
    (
        "minutes_watched_not_a_number",
        ["CRM-lots", "lots", "12.50", "rest_of_world", "7", "team", ""],
    ),
    (
        "courses_completed_below_minimum",
        ["CRM-courses", "75", "80.00", "1", "linkedin", "pro", "-1"],
    ),
]

#: The table's types, from the all-text frame registered as `accounts_text` (a blank key becomes
#: null); the same SQL on DuckDB and Spark.
TYPED_SELECT = """
select
    nullif(account_id, '') as account_id,
    watch_minutes,
    cast(nullif(lifetime_value, '') as decimal(12, 2)) as lifetime_value,
    market,
    source,
    nullif(plan, '') as plan,
    cast(nullif(courses_completed, '') as integer) as courses_completed
from accounts_text
"""


def text_keys(n: int, seed: int = 7) -> list[str]:
    """Distinct text keys whose sort order has nothing to do with the row order."""
    rng = np.random.default_rng(seed)
    return [f"CRM-{value:06x}" for value in rng.permutation(16**6)[:n]]


def accounts() -> pd.DataFrame:
    """The table's rows as text (blank = ''): the embedded customers, then the broken rows."""
    embedded = pd.read_csv(SEED_CSV, dtype=str, keep_default_na=False)
    n = len(embedded)
    customers = pd.DataFrame(
        {
            "account_id": text_keys(n),
            "watch_minutes": embedded["minutes_watched"],
            "lifetime_value": embedded["CLV"],
            "market": embedded["region"].map(_names_as_typed("region_codes", "region")),
            "source": embedded["channel"].map(_names_as_typed("channel_codes", "channel")),
            "plan": [["basic", "Pro", "", "team"][i % 4] for i in range(n)],
            "courses_completed": [str(i % 7) if i % 11 else "" for i in range(n)],
        }
    )
    broken = pd.DataFrame([row for _, row in BROKEN_ROWS], columns=TEXT_COLUMNS)
    frame = pd.concat([customers, broken], ignore_index=True)
    assert frame[TEXT_COLUMNS].notna().all().all()
    return frame[TEXT_COLUMNS]


def write_duckdb_table(database: Path) -> None:
    """crm.accounts in the DuckDB file `database` (created), before dbt builds into it."""
    import duckdb

    with duckdb.connect(str(database)) as connection:
        connection.register("accounts_text", accounts())
        connection.execute(f"create schema {SCHEMA}")
        connection.execute(f"create table {SCHEMA}.{TABLE} as {TYPED_SELECT}")


def write_spark_table(spark) -> None:
    """crm.accounts as a Parquet table of the session's metastore."""
    frame = accounts()
    schema = ", ".join(f"{column} string" for column in TEXT_COLUMNS)
    rows = [tuple(row) for row in frame.itertuples(index=False)]
    spark.createDataFrame(rows, schema=schema).createOrReplaceTempView("accounts_text")
    spark.sql(f"create database if not exists {SCHEMA}")
    spark.sql(f"drop table if exists {SCHEMA}.{TABLE}")
    spark.sql(f"create table {SCHEMA}.{TABLE} using parquet as {TYPED_SELECT}")
    spark.catalog.dropTempView("accounts_text")
