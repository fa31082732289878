"""`dbt docs generate` works, and everything an analyst reads in dbt docs is described:
every model, every column of every mart, every column of every other model (except the
per-feature columns whose names follow the `segmentation_features` var), every exposure,
semantic model and metric."""

from __future__ import annotations

import json

import pytest

from conftest import run_dbt

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def docs_artifacts(embedded_build):
    # Its own target dir: the shared build's run_results.json must keep recording `dbt build`
    # (publishing tests check it).
    work_dir = embedded_build.database.parent / "docs"
    work_dir.mkdir(exist_ok=True)
    result = run_dbt(["docs", "generate"], embedded_build.database, work_dir)
    assert result.returncode == 0, result.output[-5000:]
    target = work_dir / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    assert (target / "index.html").is_file()
    return manifest, catalog


def _models(manifest):
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "customer_segmentation"
    }


def _feature_columns(manifest) -> set[str]:
    """Candidate features (columns of int_customer_features_encoded) and their centre columns."""
    encoded = manifest["nodes"]["model.customer_segmentation.int_customer_features_encoded"]
    features = set(encoded["columns"]) - {"customer_id"}
    assert "minutes_watched" in features and "clv" in features
    return features | {f"center_{f}" for f in features}


def test_every_model_has_a_description(docs_artifacts):
    manifest, _ = docs_artifacts
    undocumented = [uid for uid, n in _models(manifest).items() if not n["description"].strip()]
    assert undocumented == []


def test_every_mart_column_is_described_and_exists(docs_artifacts):
    manifest, catalog = docs_artifacts
    marts = {uid: n for uid, n in _models(manifest).items() if "marts" in n["fqn"]}
    assert len(marts) >= 7
    problems = []
    for uid, node in marts.items():
        built = set(catalog["nodes"][uid]["columns"])
        described = {name for name, c in node["columns"].items() if c["description"].strip()}
        problems += [f"{uid}.{c}: no description" for c in sorted(built - described)]
        problems += [
            f"{uid}.{c}: described but not built" for c in sorted(set(node["columns"]) - built)
        ]
    assert problems == []


def test_every_model_column_is_described(docs_artifacts):
    manifest, catalog = docs_artifacts
    dynamic = _feature_columns(manifest)
    problems = []
    for uid, node in _models(manifest).items():
        built = set(catalog["nodes"][uid]["columns"]) if uid in catalog["nodes"] else set()
        described = {name for name, c in node["columns"].items() if c["description"].strip()}
        missing = built - described
        # Per-feature columns follow the segmentation_features var; the model's description
        # explains them as a group.
        if "feature" in node["description"]:
            missing -= dynamic
        problems += [f"{uid}.{c}" for c in sorted(missing)]
    assert problems == []


def test_exposures_semantic_models_and_metrics_are_described(docs_artifacts):
    manifest, _ = docs_artifacts
    exposures = manifest["exposures"].values()
    assert {e["type"] for e in exposures} >= {"analysis", "dashboard"}
    for exposure in exposures:
        assert exposure["description"].strip(), exposure["name"]
        assert exposure["depends_on"]["nodes"], exposure["name"]
    assert manifest["semantic_models"] and manifest["metrics"]
    for item in [*manifest["semantic_models"].values(), *manifest["metrics"].values()]:
        assert (item.get("description") or "").strip(), item["name"]
    for semantic_model in manifest["semantic_models"].values():
        for part in [*semantic_model["dimensions"], *semantic_model["measures"]]:
            assert (part.get("description") or "").strip(), (semantic_model["name"], part["name"])


def test_every_mart_description_has_an_example_query_that_runs(docs_artifacts, embedded_build):
    # dbt-score's has_example_sql looks for a ```sql block in the description; each mart's is a
    # real question a BI user asks, so it must run on the build and read the mart it documents.
    import re

    import duckdb

    manifest, _ = docs_artifacts
    marts = {n["name"]: n for n in _models(manifest).values() if "marts" in n["fqn"]}
    assert len(marts) == 30
    problems = []
    with duckdb.connect(str(embedded_build.database), read_only=True) as connection:
        for name, node in sorted(marts.items()):
            blocks = re.findall(r"```sql\n(.*?)```", node["description"], re.S)
            if len(blocks) != 1:
                problems.append(f"{name}: {len(blocks)} example queries, expected 1")
                continue
            sql = blocks[0]
            if f"from marts.{name}\n" not in sql and f"from marts.{name};" not in sql:
                problems.append(f"{name}: the example does not read marts.{name}")
            try:
                connection.execute(sql).fetchall()
            except duckdb.Error as error:
                problems.append(f"{name}: {error}")
    assert problems == []
