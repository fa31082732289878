"""Cheaper statistics for the test builds that do not check them.

Most dbt builds in the suite check inputs, keys, history or publishing, not the bootstrap
statistics, yet each would spend about 5 of its 27 s on the 20 stability refits and the
2,000-resample intervals. ``with_quick_settings`` adds this project's own settings var
(``segmentation_settings``, README "Configuration") with fewer resamples to a dbt command's
arguments, merged under any settings the test passes itself. The session's default build
(``embedded_build``) and every test that checks those statistics run with the defaults.

The quick builds also leave out the project's dbt unit tests (``--exclude
resource_type:unit_test``, about 3 s of each build). A unit test feeds a model fixed rows and
compares fixed expected rows, so its verdict does not depend on the build's input data; the
session's default build runs every one of them (and fails the suite if one fails), so the
other builds would only repeat it under the vars of their case.
"""

from __future__ import annotations

import json

import yaml

#: Fewer stability refits and bootstrap resamples (the smallest each setting accepts is 1 and 100).
QUICK_SETTINGS = {"stability": {"n_resamples": 3}, "evidence": {"n_resamples": 100}}

#: dbt commands that build models (the others, e.g. ls, parse, docs, take no such var).
_BUILDING = {"build", "run"}

#: What a quick build leaves out (see the module docstring).
QUICK_EXCLUDE = ["resource_type:unit_test"]


def with_quick_settings(args: list[str]) -> list[str]:
    """``args`` with QUICK_SETTINGS under ``segmentation_settings`` in ``--vars`` (added when
    missing); the test's own settings, nested or as flat vars (``stability_n_resamples``),
    win. A ``build`` also excludes QUICK_EXCLUDE (another ``--exclude`` flag: dbt takes the
    union). Non-building commands are returned unchanged."""
    if not args or args[0] not in _BUILDING:
        return list(args)
    args = list(args)
    if args[0] == "build":
        args += ["--exclude", *QUICK_EXCLUDE]
    if "--vars" in args:
        index = args.index("--vars") + 1
        variables = yaml.safe_load(args[index]) or {}
    else:
        args += ["--vars", "{}"]
        index, variables = len(args) - 1, {}
    own = variables.get("segmentation_settings") or {}
    if not isinstance(own, dict):
        return args  # a test of a malformed var: left as it is
    merged = dict(own)
    for group, values in QUICK_SETTINGS.items():
        if not isinstance(merged.get(group, {}), dict):
            continue
        group_values = dict(merged.get(group, {}))
        for name, value in values.items():
            if f"{group}_{name}" not in variables:  # the setting's flat var, still read
                group_values.setdefault(name, value)
        merged[group] = group_values
    variables["segmentation_settings"] = merged
    args[index] = json.dumps(variables)
    return args
