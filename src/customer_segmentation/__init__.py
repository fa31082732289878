"""Clustering library behind the dbt customer-segmentation project.

The dbt Python models in ``python_models/`` stay thin: they read their refs, call the
functions here and return a data frame. Everything here is a pure function of its inputs
(explicit ``random_state``, no hidden globals), so it can be unit-tested without dbt.
"""

__version__ = "0.1.0"
