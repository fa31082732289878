"""The shipped dashboard's files, without Superset: the export, the import ZIP with the serving
path set, an export written back, and the private state files of `make dashboard`."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
import yaml

from customer_segmentation.dashboard import (
    EXPORT_DIR,
    SERVING_PATH_PLACEHOLDER,
    DashboardError,
    SupersetHome,
    import_bundle,
    running_pid,
    serving_uri,
    write_export,
)
from customer_segmentation.dashboard.server import prepare_home


def load(export_dir, pattern):
    return [yaml.safe_load(p.read_text()) for p in sorted(export_dir.glob(pattern))]


def test_the_shipped_export_reads_schema_marts_and_names_no_local_path():
    (database,) = load(EXPORT_DIR, "databases/*.yaml")
    assert database["sqlalchemy_uri"] == (
        f"duckdb:///{SERVING_PATH_PLACEHOLDER}?access_mode=read_only"
    )
    datasets = load(EXPORT_DIR, "datasets/*/*.yaml")
    # Schema "marts", not "<file stem>.marts": the datasets do not depend on the file's name.
    assert {d["schema"] for d in datasets} == {"marts"}
    assert all(d["database_uuid"] == database["uuid"] for d in datasets)
    charts = load(EXPORT_DIR, "charts/*.yaml")
    (dashboard,) = load(EXPORT_DIR, "dashboards/*.yaml")
    placed = {
        item["meta"]["uuid"]
        for key, item in dashboard["position"].items()
        if key.startswith("CHART-")
    }
    assert placed == {c["uuid"] for c in charts}
    # Every chart has a saved query context, which the REST check (and Superset's API) runs.
    assert all(c["query_context"] for c in charts)
    assert {c["dataset_uuid"] for c in charts} <= {d["uuid"] for d in datasets}
    text = "".join(p.read_text() for p in EXPORT_DIR.rglob("*.yaml"))
    assert "/work/" not in text and "/home/" not in text and "/tmp/" not in text


def test_import_bundle_sets_the_serving_path_read_only(tmp_path):
    serving = tmp_path / "serving.duckdb"
    bundle = zipfile.ZipFile(io.BytesIO(import_bundle(EXPORT_DIR, serving)))
    names = bundle.namelist()
    assert "customer_segmentation_dashboard/metadata.yaml" in names
    assert len(names) == len(list(EXPORT_DIR.rglob("*.yaml")))
    (database,) = [n for n in names if "/databases/" in n]
    uri = yaml.safe_load(bundle.read(database))["sqlalchemy_uri"]
    assert uri == f"duckdb:///{serving}?access_mode=read_only" == serving_uri(serving)


def test_serving_uri_refuses_paths_a_url_misreads(tmp_path):
    with pytest.raises(DashboardError, match="cannot hold"):
        serving_uri(tmp_path / "my file?.duckdb")


def test_import_bundle_needs_an_export(tmp_path):
    with pytest.raises(DashboardError, match="no Superset export"):
        import_bundle(tmp_path, tmp_path / "serving.duckdb")


def test_write_export_puts_the_placeholder_back_and_drops_ids(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("dashboard_export_1/metadata.yaml", "version: 1.0.0\n")
        archive.writestr(
            "dashboard_export_1/databases/Serving_3.yaml",
            "database_name: s\nsqlalchemy_uri: duckdb:////home/me/serving.duckdb\n",
        )
        archive.writestr("dashboard_export_1/charts/Total_CLV_12.yaml", "slice_name: t\n")
    out = tmp_path / "export"
    (out / "charts").mkdir(parents=True)
    (out / "charts" / "Removed_chart.yaml").write_text("slice_name: old\n")
    written = write_export(buffer.getvalue(), out)
    assert sorted(str(p) for p in written) == [
        "charts/Total_CLV.yaml",
        "databases/Serving.yaml",
        "metadata.yaml",
    ]
    assert not (out / "charts" / "Removed_chart.yaml").exists()
    database = yaml.safe_load((out / "databases" / "Serving.yaml").read_text())
    assert SERVING_PATH_PLACEHOLDER in database["sqlalchemy_uri"]
    assert "/home/me" not in (out / "databases" / "Serving.yaml").read_text()


def test_prepare_home_makes_private_secrets_once(tmp_path):
    home = SupersetHome(tmp_path / "superset")
    password, created = prepare_home(home)
    assert created and len(password) >= 20
    for path in (home.secret_key, home.admin_password):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.root.stat().st_mode) == 0o700
    secret = home.secret_key.read_text()
    assert prepare_home(home) == (password, False)
    assert home.secret_key.read_text() == secret


def test_a_stale_pid_file_is_not_a_running_server(tmp_path):
    home = SupersetHome(tmp_path)
    home.pid_file.write_text("1\n")  # pid 1 exists but is not this home's gunicorn
    assert running_pid(home) is None
    assert not home.pid_file.exists()
    assert running_pid(home) is None
