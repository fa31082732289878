"""Build the whole project on a local Spark, Python models included, in one process.

dbt-spark's ``session`` method runs seeds, SQL models and tests, but dbt runs Python models on
Spark only through Databricks. This harness stands in for Databricks' part:

1. ``dbt parse --target spark`` gives the manifest: every model, its refs, its rendered config.
2. Every model gets a *Python depth*: the largest number of Python models on a path from a seed
   to it (itself included). Python models of depth d only ref models of depth < d, and SQL
   models of depth d only ref models of depth <= d.
3. ``dbt seed`` (which starts Spark); then ``before_models(spark)`` if given, e.g. to write the
   warehouse table the source ``customer_input.customers`` reads; then for d = 0, 1, 2, ...:
   each Python model of depth d is run by calling its
   file's ``model(dbt, session)`` with the local SparkSession and a stand-in ``dbt`` object
   (``ref`` returns the Spark DataFrame of the ref'd table, ``config.get`` the model's rendered
   config, as on Databricks), and the returned DataFrame is written as the model's table (Parquet,
   as the profile asks for local runs); then ``dbt run`` builds the SQL models of depth d.
4. ``dbt test`` runs every data and unit test against the finished build.

dbt runs in this process (``dbtRunner``), so dbt and the harness share one SparkSession, one JVM
and one Derby metastore (Derby allows one process): the JVM starts once (~20 s), not per step.

Run it directly to build on Spark:  ``python tests/spark/harness.py [work_dir] [dbt args]``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TARGET = "spark"


class HarnessError(RuntimeError):
    """A dbt step or a Python model failed."""


@dataclass
class SparkBuild:
    """What the harness built: where, the SparkSession, the manifest, each step's seconds."""

    work_dir: Path
    spark: object
    schemas: dict[str, str]
    manifest: object
    runner: object
    timings: list[tuple[str, float]] = field(default_factory=list)

    def table(self, model_name: str):
        """The Spark DataFrame of a built model or seed."""
        return self.spark.table(self.schemas[model_name] + "." + model_name)

    def invoke(self, args: list[str]):
        """Another dbt command on the `spark` target, in this process and session (the build's
        extra arguments are not repeated): dbt's result, failed or not."""
        return self.runner.invoke([*args, "--target", TARGET])


def spark_environment(work_dir: Path) -> dict[str, str]:
    """Environment for dbt on the `spark` target, everything written under ``work_dir``."""
    return {
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_PROJECT_DIR": str(PROJECT_ROOT),
        "DBT_SPARK_DIR": str(work_dir / "spark"),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        "OMP_NUM_THREADS": "1",
    }


class _Config:
    """``dbt.config``: a no-op when called (the model's own config), ``get`` reads the manifest."""

    def __init__(self, values: dict):
        self._values = values

    def __call__(self, **kwargs) -> None:
        return None

    def get(self, key: str, default=None):
        return self._values.get(key, default)


class StandInDbt:
    """The ``dbt`` object Databricks hands a Python model: refs as Spark DataFrames, its config."""

    def __init__(self, node, spark, relations: dict[str, str]):
        self._spark = spark
        self._relations = relations
        self._refs = set()
        for ref in node.refs:
            self._refs.add(ref.name if hasattr(ref, "name") else ref[-1])
        self.config = _Config(node.config.to_dict())
        self.this = relations[node.name]

    def ref(self, name: str, *args, **kwargs):
        if name not in self._refs:
            raise HarnessError(f"model refs {name!r}, which dbt did not see as a ref")
        return self._spark.table(self._relations[name])

    def is_incremental(self) -> bool:
        return False


def _invoke(runner, args: list[str]) -> object:
    result = runner.invoke([*args, "--target", TARGET])
    if not result.success:
        failures = []
        for node_result in getattr(result.result, "results", []) or []:
            if str(node_result.status) in {"error", "fail"}:
                message = (node_result.message or "").splitlines()
                failures.append(f"{node_result.node.name}: {' | '.join(message[:4])[:600]}")
        detail = "\n".join(failures) or str(result.exception)
        raise HarnessError(f"dbt {' '.join(args)} failed:\n{detail}")
    return result.result


def python_depths(manifest) -> dict[str, int]:
    """Each model's Python depth (see the module docstring), by unique id."""
    nodes = {uid: n for uid, n in manifest.nodes.items() if n.resource_type == "model"}
    depth: dict[str, int] = {}

    def visit(uid: str) -> int:
        if uid not in depth:
            parents = [p for p in nodes[uid].depends_on.nodes if p in nodes]
            own = 1 if nodes[uid].language == "python" else 0
            depth[uid] = own + max((visit(p) for p in parents), default=0)
        return depth[uid]

    for uid in nodes:
        visit(uid)
    return depth


def run_python_model(node, spark, relations: dict[str, str]) -> float:
    """Call a Python model's ``model(dbt, session)`` and save its result as the model's table."""
    from pyspark.sql import DataFrame

    started = time.perf_counter()
    path = PROJECT_ROOT / node.original_file_path
    spec = importlib.util.spec_from_file_location(f"dbt_python_model_{node.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frame = module.model(StandInDbt(node, spark, relations), spark)
    if not isinstance(frame, DataFrame):
        raise HarnessError(
            f"{node.name} returned {type(frame).__name__}, not a Spark DataFrame: the model "
            "must return the backend of the frames it receives"
        )
    spark.sql(f"create database if not exists {node.schema}")
    frame.write.mode("overwrite").format("parquet").saveAsTable(relations[node.name])
    return time.perf_counter() - started


def build_on_local_spark(
    work_dir: Path,
    extra_args: list[str] | None = None,
    before_models: Callable[[object], None] | None = None,
) -> SparkBuild:
    """Seeds, SQL models, Python models and tests of the project, on a local Spark session.

    ``extra_args`` go to every dbt command (e.g. ``["--vars", "{n_segments: 6}"]``).
    ``before_models(spark)`` runs once Spark is up (after ``dbt seed``), before any model.
    """
    from dbt.cli.main import dbtRunner
    from pyspark.sql import SparkSession

    # pyspark 4.3 warns on every pandas conversion that it does not fully support pandas 3 (the
    # project pins pandas 3.1.1); the comparison tests check what is converted.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    work_dir = Path(work_dir).resolve()
    (work_dir / "spark").mkdir(parents=True, exist_ok=True)
    os.environ.update(spark_environment(work_dir))
    extra = list(extra_args or [])
    runner = dbtRunner()
    timings: list[tuple[str, float]] = []

    def step(name: str, args: list[str]) -> object:
        started = time.perf_counter()
        result = _invoke(runner, [*args, *extra])
        timings.append((name, time.perf_counter() - started))
        return result

    manifest = step("dbt parse", ["parse"])
    models = {n.name: n for n in manifest.nodes.values() if n.resource_type == "model"}
    seeds = {n.name: n for n in manifest.nodes.values() if n.resource_type == "seed"}
    relations = {name: f"{n.schema}.{n.alias}" for name, n in {**seeds, **models}.items()}
    schemas = {name: n.schema for name, n in {**seeds, **models}.items()}
    depths = python_depths(manifest)

    step("dbt seed (starts Spark)", ["seed"])
    spark = SparkSession.builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    if before_models is not None:
        started = time.perf_counter()
        before_models(spark)
        timings.append((f"before models ({before_models.__name__})", time.perf_counter() - started))
    for depth in range(max(depths.values()) + 1):
        at_depth = sorted(
            (n for n in models.values() if depths[n.unique_id] == depth), key=lambda n: n.name
        )
        # Python models of one depth never ref each other; their refs are all built.
        for node in (n for n in at_depth if n.language == "python"):
            timings.append((f"python {node.name}", run_python_model(node, spark, relations)))
        sql_models = [n.name for n in at_depth if n.language == "sql"]
        if sql_models:
            step(
                f"dbt run depth {depth} ({len(sql_models)} models)",
                ["run", "--select", *sql_models],
            )
    step("dbt test", ["test"])
    return SparkBuild(
        work_dir=work_dir,
        spark=spark,
        schemas=schemas,
        manifest=manifest,
        runner=runner,
        timings=timings,
    )


def main(argv: list[str]) -> int:
    work_dir = Path(argv[1]) if len(argv) > 1 else PROJECT_ROOT / "target" / "spark-build"
    build = build_on_local_spark(work_dir, argv[2:])
    for name, seconds in build.timings:
        print(f"{seconds:7.1f}s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
