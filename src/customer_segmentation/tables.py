"""Move tables between the warehouse and numpy without row-by-row Python.

The dbt Python models hand these functions whatever ``dbt.ref`` returned: a DuckDB relation
on DuckDB, a Spark DataFrame on Spark (Databricks), a pandas DataFrame in tests. Columns come
back as float64 numpy arrays, in the order asked for, so the clustering code never depends on
the warehouse. :func:`like_input` turns a result back into the input's kind of frame, so a model
returns a Spark DataFrame on Spark. pyspark is never imported unless a Spark frame arrives.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd


def parse_int(value: object, name: str, *, minimum: int | None = None) -> int:
    """An integer config value (dbt config values arrive as text), checked.

    Raises ``ValueError`` with one line naming the var when the value is not a whole number
    or is below ``minimum``.
    """
    fix = f"; set it in dbt_project.yml or with --vars '{{{name}: <number>}}'"
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"var {name} must be a whole number, got {value!r}{fix}") from None
    if not np.isfinite(number) or number != int(number):
        raise ValueError(f"var {name} must be a whole number, got {value!r}{fix}")
    number = int(number)
    if minimum is not None and number < minimum:
        raise ValueError(f"var {name} must be at least {minimum}, got {number}{fix}")
    return number


def is_duckdb_relation(table: object) -> bool:
    """True for a DuckDB relation (what ``dbt.ref`` returns on DuckDB)."""
    return hasattr(table, "query") and hasattr(table, "fetchnumpy")


def is_spark_frame(table: object) -> bool:
    """True for a pyspark DataFrame (classic or Spark Connect), without importing pyspark.

    A Spark frame can only exist when pyspark is installed and imported, so the module name
    is checked first and pyspark is imported only to confirm the type.
    """
    if not type(table).__module__.startswith("pyspark."):
        return False
    from pyspark.sql import DataFrame  # noqa: PLC0415 - only Spark users need pyspark

    if isinstance(table, DataFrame):
        return True
    try:  # Spark Connect frames (Databricks shared clusters) are their own class in pyspark 3.x
        from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame
    except ImportError:  # pragma: no cover - pyspark without the connect extras
        return False
    return isinstance(table, ConnectDataFrame)


def count_rows(table: object) -> int:
    """Number of rows of a pandas DataFrame, DuckDB relation or Spark DataFrame."""
    if isinstance(table, pd.DataFrame):
        return len(table)
    if is_spark_frame(table):
        return int(table.count())
    if hasattr(table, "aggregate"):  # DuckDB relation: counted inside DuckDB
        return int(table.aggregate("count(*)").fetchall()[0][0])
    raise TypeError(f"cannot read a table of type {type(table).__name__}")


def for_session(frame: pd.DataFrame, session: object) -> object:
    """``frame`` as a table of the model's ``session``: a Spark DataFrame when dbt runs the model
    with a SparkSession (Spark, Databricks), else ``frame`` itself (DuckDB takes pandas).

    For a model that reads no ref, so has no input frame whose backend it could follow.
    """
    if hasattr(session, "createDataFrame"):
        return session.createDataFrame(frame)
    return frame


def like_input(frame: pd.DataFrame, template: object) -> object:
    """``frame`` as the same kind of table as ``template``: a Spark DataFrame when the model
    received Spark DataFrames (what dbt on Databricks writes natively), else ``frame`` itself.
    """
    if is_spark_frame(template):
        return template.sparkSession.createDataFrame(frame)
    return frame


def _ordered(table: object, order_by: str) -> object:
    """The table sorted by ``order_by`` where the table type can sort lazily."""
    if isinstance(table, pd.DataFrame):
        return table.sort_values(order_by, kind="stable").reset_index(drop=True)
    if is_spark_frame(table):
        return table.orderBy(order_by)
    if hasattr(table, "order"):  # DuckDB relation: sorted inside DuckDB
        return table.order(order_by)
    raise TypeError(f"cannot read a table of type {type(table).__name__}")


def fetch_columns(table: object, columns: Sequence[str], order_by: str) -> dict[str, np.ndarray]:
    """Columns of a table as numpy arrays, rows sorted by ``order_by``.

    Parameters
    ----------
    table : duckdb.DuckDBPyRelation, pyspark.sql.DataFrame or pandas.DataFrame
        What ``dbt.ref`` returned. A Spark DataFrame is collected to the driver: callers
        decide first whether it is small enough (see ``spark_collect_max_rows``).
    columns : sequence of str
        Columns to fetch (case-insensitive on DuckDB).
    order_by : str
        A unique key; the rows come back in its order so results are repeatable. On a DuckDB
        relation an integer key (:data:`CUSTOMER_ORDER`, a segment or leaf id) is sorted in
        numpy, a column at a time (:func:`columns_in_order`), not by DuckDB: the same rows
        in the same order without the sort's buffers (see :func:`fetch_matrix`).

    Returns
    -------
    dict of str to numpy.ndarray
    """
    wanted = list(dict.fromkeys([order_by, *columns]))
    if is_duckdb_relation(table) and _is_integer_column(table, order_by):
        return dict(zip(wanted, columns_in_order(table, wanted, order_by), strict=True))
    return _fetch(_ordered(table, order_by), wanted)


def fetch_columns_unsorted(table: object, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """:func:`fetch_columns` without the sort: rows in whatever order the table yields them.

    Only for work whose every output row depends on its input row alone, where the order
    cannot change a value, or for a caller that puts the rows in order itself by a key
    fetched with them (:func:`columns_in_order`, ``versioning.customer_deviations``). At 10
    million customers a fetch of 16 columns sorted by ``customer_id`` took 6.2 s and peaked
    at 4.36 GiB, unsorted 1.1 s and 3.08 GiB.
    """
    return _fetch(table, list(dict.fromkeys(columns)))


def _fetch(table: object, wanted: list[str]) -> dict[str, np.ndarray]:
    """Columns ``wanted`` of a table, in the table's row order, as numpy arrays."""
    if isinstance(table, pd.DataFrame):
        missing = [c for c in wanted if c not in table.columns]
        if missing:
            raise KeyError(f"table has no column {', '.join(missing)}")
        return {c: table[c].to_numpy() for c in wanted}
    if is_spark_frame(table):
        collected = table.select(*wanted).toPandas()
        return {c: collected[c].to_numpy() for c in wanted}
    fetched = table.select(*wanted).fetchnumpy()
    return {c: np.asarray(fetched[c]) for c in wanted}


#: The column that orders the customers for every numeric step: the row position without a
#: key, else the order of the customers' values (see int_customers_cleaned), so results do not
#: depend on the input's row order or on how its keys sort.
CUSTOMER_ORDER = "customer_order"


def customer_order_column(table: object) -> str:
    """The column that orders ``table``'s customers: :data:`CUSTOMER_ORDER` when it has one
    (every table the dbt models pass), else ``customer_id`` (a frame built by hand)."""
    columns = [str(c).lower() for c in getattr(table, "columns", [])]
    return CUSTOMER_ORDER if CUSTOMER_ORDER in columns else "customer_id"


def fetch_matrix(
    table: object, columns: Sequence[str], order_by: str, key: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The key column and a float64 C-contiguous matrix of ``columns``, sorted by ``order_by``.

    ``key`` is the column returned as keys (default: ``order_by`` itself), e.g. the customer
    ids of rows sorted by :data:`CUSTOMER_ORDER`.

    A DuckDB relation whose ``order_by`` is an integer column (:data:`CUSTOMER_ORDER`, a
    segment or leaf id) is read one column at a time, unsorted, and put in order in numpy
    (:func:`columns_in_order`) straight into the matrix: the same rows in the same order as
    DuckDB's sort (the key is unique), without the sort's buffers or all the fetched columns
    at once. At 10M customers x 14 features (the bench database, runs spread over an hour):
    sorted in DuckDB 5.7-7.9 s and 5.3 GiB peak; every column at once unsorted 1.9-2.1 s and
    4.2 GiB; a column at a time 3.1-4.9 s and 2.3 GiB.

    Returns
    -------
    keys : numpy.ndarray of shape (n,)
    X : numpy.ndarray of shape (n, len(columns)), float64
    """
    if is_duckdb_relation(table) and _is_integer_column(table, order_by):
        return _fetch_matrix_by_column(table, columns, order_by, key or order_by)
    fetched = fetch_columns(table, [*([key] if key else []), *columns], order_by)
    keys = np.asarray(fetched[key or order_by])
    return keys, stack_columns([fetched[column] for column in columns])


def _fetch_matrix_by_column(
    relation: object, columns: Sequence[str], order_by: str, key: str
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fetch_matrix` of a DuckDB relation with an integer ``order_by``, a column at a
    time (:func:`columns_in_order`)."""
    read = columns_in_order(relation, [key, *columns], order_by)
    keys = next(read)
    X = np.empty((keys.shape[0], len(columns)), dtype=np.float64)
    for j, values in enumerate(read):
        X[:, j] = values
    return keys, X


def columns_in_order(
    relation: object, columns: Sequence[str], order_by: str
) -> Iterator[np.ndarray]:
    """Each of ``columns`` of a DuckDB relation in turn, rows sorted by the unique integer
    column ``order_by``, without DuckDB's sort and with one column in memory at a time.

    Each column is fetched unsorted together with ``order_by`` and put in order by a numpy
    argsort, computed at the first column and reused while the rows come back in the same
    order (compared at every column, so a scan in another order is still put right). The
    rows are those of an ``order by``: the key is unique. The caller holds what it keeps.
    """
    order = in_order = None
    for column in columns:
        fetched = fetch_columns_unsorted(relation, [order_by, column])
        if order is None or not np.array_equal(fetched[order_by], order):
            order = fetched[order_by]
            in_order = np.argsort(order, kind="stable")
        values = np.asarray(fetched[column])
        del fetched
        yield values[in_order]


#: DuckDB's integer types up to 64 bits (numpy int64 / uint64 columns when fetched).
_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
}


def _is_integer_column(relation: object, name: str) -> bool:
    """True when the DuckDB relation's column ``name`` (any case) has an integer type."""
    types = dict(zip([c.lower() for c in relation.columns], relation.types, strict=True))
    return str(types.get(name.lower(), "")).upper() in _INTEGER_TYPES


#: Rows copied at a time by :func:`stack_columns`: a block of the row-major result
#: (4,096 rows x a few dozen float64 columns) stays in the CPU cache while it is filled.
_STACK_BLOCK_ROWS = 4096


def stack_columns(columns: Sequence[np.ndarray]) -> np.ndarray:
    """Equal-length 1-D columns as one C-contiguous float64 matrix, column ``j`` in ``[:, j]``.

    The same values as ``np.column_stack(columns).astype(np.float64)``, copied block of rows
    by block of rows: filling a row-major matrix a whole column at a time touches every cache
    line once per column. On 10 million x 14 random columns (three runs, this machine)
    ``np.column_stack`` took 1.3-3.3 s and this 0.4-0.7 s; on freshly allocated memory the
    first touch of the 1.1 GB result costs about 1 s either way.

    Parameters
    ----------
    columns : sequence of array-like of shape (n,)

    Returns
    -------
    ndarray of shape (n, len(columns)), float64, C-contiguous
    """
    arrays = [np.asarray(column, dtype=np.float64) for column in columns]
    n_rows = arrays[0].shape[0] if arrays else 0
    lengths = {array.shape for array in arrays}
    if len(lengths) > 1:
        raise ValueError(f"columns of different shapes: {sorted(lengths)}")
    X = np.empty((n_rows, len(arrays)), dtype=np.float64)
    for start in range(0, n_rows, _STACK_BLOCK_ROWS):
        stop = min(start + _STACK_BLOCK_ROWS, n_rows)
        block = X[start:stop]
        for j, array in enumerate(arrays):
            block[:, j] = array[start:stop]
    return X


def parse_n_segments(value: object) -> int | None:
    """The ``n_segments`` var: a whole number >= 1, or ``None`` for ``auto``.

    Raises ``ValueError`` with one line naming the var otherwise.
    """
    if str(value).strip().strip("'\"").lower() == "auto":
        return None
    try:
        return parse_int(value, "n_segments", minimum=1)
    except ValueError as error:
        raise ValueError(f"{error} (or 'auto')") from None


def read_feature_names(scaler_table: object) -> list[str]:
    """The clustering features, in order, from the ``int_feature_scaler`` model.

    The scaler is the one definition of the features (the ``segmentation_features`` var
    expanded with the code seeds' one-hot columns), so the Python models read it rather than
    parsing the var again.
    """
    fetched = fetch_columns(scaler_table, ["feature_name"], "feature_position")
    names = [str(name) for name in fetched["feature_name"]]
    if not names:
        raise ValueError("int_feature_scaler has no features; set var segmentation_features")
    return names


def read_segment_count(table: object) -> int:
    """The number of segments of the build, from the one-row ``int_segment_count`` model."""
    fetched = fetch_columns(table, ["n_segments"], "n_segments")["n_segments"]
    if fetched.shape[0] != 1:
        raise ValueError(f"int_segment_count must have exactly one row, got {fetched.shape[0]}")
    return int(fetched[0])


def to_pandas(table: object) -> pd.DataFrame:
    """A pandas DataFrame, DuckDB relation or Spark DataFrame as pandas (Spark is collected)."""
    if isinstance(table, pd.DataFrame):
        return table
    if is_spark_frame(table):
        return table.toPandas()
    if hasattr(table, "df"):  # DuckDB relation
        return table.df()
    raise TypeError(f"cannot read a table of type {type(table).__name__}")


def check_collectable(table: object, spark_collect_max_rows: int | None, step: str) -> None:
    """Raise when ``table`` is a Spark DataFrame too large to collect to the driver.

    ``step`` names the model in the message; ``None`` means no limit. DuckDB relations and
    pandas frames always pass (they already live in the process).
    """
    if spark_collect_max_rows is None or not is_spark_frame(table):
        return
    n = count_rows(table)
    if n > spark_collect_max_rows:
        raise ValueError(
            f"{step} collects its input to the Spark driver, but it has {n:,} rows, more than "
            f"spark_collect_max_rows = {spark_collect_max_rows:,}; raise spark_collect_max_rows "
            "if the driver has the memory"
        )
