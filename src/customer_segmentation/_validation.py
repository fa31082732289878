"""Argument checks of the numeric core, through scikit-learn's validation utilities.

The package's functions take the arguments scikit-learn's estimators take (a matrix, counts, a
``random_state``), so they check them with the same utilities (:func:`sklearn.utils.check_array`,
:func:`sklearn.utils.check_scalar`) and raise the messages scikit-learn users know. A matrix
that already is float64 is returned as it is (no copy), so results are the same bit for bit.
Finiteness is left to the callers, which say how many values are bad and what to do.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_array, check_scalar

__all__ = ["check_count", "check_matrix"]


def check_count(value: object, name: str, *, min_val: int) -> int:
    """``value`` as an ``int`` when it is a whole number (not a bool) of at least ``min_val``.

    Raises ``TypeError`` for another type and ``ValueError`` below ``min_val``
    (:func:`sklearn.utils.check_scalar`'s messages, e.g. ``n_init == -1, must be >= 0.``).
    """
    if isinstance(value, (bool, np.bool_)):  # check_scalar takes bools for integers
        raise TypeError(f"{name} must be an instance of int, not bool.")
    return int(check_scalar(value, name, target_type=numbers.Integral, min_val=min_val))


def check_matrix(
    X: object,
    name: str = "X",
    *,
    min_rows: int = 0,
    min_features: int = 0,
    order: str | None = None,
) -> np.ndarray:
    """``X`` as a 2-D float64 array (no copy when it already is one in the asked ``order``).

    :func:`sklearn.utils.check_array` refuses what is not 2-D, text, and fewer than
    ``min_rows`` rows or ``min_features`` columns; NaN and infinity pass (see the module).
    """
    X = check_array(
        X,
        dtype="numeric",
        ensure_all_finite=False,
        ensure_min_samples=min_rows,
        ensure_min_features=min_features,
        input_name=name,
    )
    return np.asarray(X, dtype=np.float64, order=order)
