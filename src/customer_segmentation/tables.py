"""Move tables between the warehouse and numpy without row-by-row Python.

The dbt Python models hand these functions whatever ``dbt.ref`` returned: a DuckDB relation
on DuckDB, a pandas DataFrame in tests. Columns come back as float64 numpy arrays, in the order
asked for, so the clustering code never depends on the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def parse_feature_list(value: str | Sequence[str]) -> list[str]:
    """Feature names from a config value: a comma-separated string or a list.

    Parameters
    ----------
    value : str or sequence of str
        ``"minutes_watched,clv"`` (how dbt config passes the var) or ``["minutes_watched"]``.

    Returns
    -------
    list of str
        The names, stripped, in order.
    """
    if isinstance(value, str):
        names = [part.strip() for part in value.strip("[]").split(",")]
        names = [name.strip("'\" ") for name in names]
    else:
        names = [str(name).strip() for name in value]
    names = [name for name in names if name]
    if not names:
        raise ValueError("segmentation_features is empty: list at least one feature")
    return names


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


def parse_bool(value: object, name: str) -> bool:
    """A true/false config value (dbt config values arrive as text), checked.

    Raises ``ValueError`` with one line naming the var when the value is not a boolean.
    """
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no", "", "none"}:
        return False
    raise ValueError(f"var {name} must be true or false, got {value!r}")


def _ordered(table: object, order_by: str) -> object:
    """The table sorted by ``order_by`` where the table type can sort lazily."""
    if isinstance(table, pd.DataFrame):
        return table.sort_values(order_by, kind="stable").reset_index(drop=True)
    if hasattr(table, "order"):  # DuckDB relation: sorted inside DuckDB
        return table.order(order_by)
    raise TypeError(f"cannot read a table of type {type(table).__name__}")


def fetch_columns(table: object, columns: Sequence[str], order_by: str) -> dict[str, np.ndarray]:
    """Columns of a table as numpy arrays, rows sorted by ``order_by``.

    Parameters
    ----------
    table : duckdb.DuckDBPyRelation or pandas.DataFrame
        What ``dbt.ref`` returned.
    columns : sequence of str
        Columns to fetch (case-insensitive on DuckDB).
    order_by : str
        A unique key; the rows come back in its order so results are repeatable.

    Returns
    -------
    dict of str to numpy.ndarray
    """
    wanted = list(dict.fromkeys([order_by, *columns]))
    table = _ordered(table, order_by)
    if isinstance(table, pd.DataFrame):
        missing = [c for c in wanted if c not in table.columns]
        if missing:
            raise KeyError(f"table has no column {', '.join(missing)}")
        return {c: table[c].to_numpy() for c in wanted}
    fetched = table.select(*wanted).fetchnumpy()
    return {c: np.asarray(fetched[c]) for c in wanted}


def fetch_matrix(
    table: object, columns: Sequence[str], order_by: str
) -> tuple[np.ndarray, np.ndarray]:
    """The key column and a float64 C-contiguous matrix of ``columns``, sorted by the key.

    Returns
    -------
    keys : numpy.ndarray of shape (n,)
    X : numpy.ndarray of shape (n, len(columns)), float64
    """
    fetched = fetch_columns(table, columns, order_by)
    keys = np.asarray(fetched[order_by])
    n = keys.shape[0]
    X = np.empty((n, len(columns)), dtype=np.float64)
    for j, column in enumerate(columns):
        X[:, j] = fetched[column]
    return keys, X
