"""The shipped dashboard as Superset's YAML export, and the ZIP Superset imports.

``dashboard/export/`` in the repository is what Superset's "Export dashboard" writes (a folder
of YAML files: ``metadata.yaml``, ``databases/``, ``datasets/``, ``charts/``, ``dashboards/``),
unzipped, with one change: the database's ``sqlalchemy_uri`` names no file but
``SERVING_PATH_PLACEHOLDER``. :func:`import_bundle` puts the serving file's absolute path there
(read-only), so the same export works from any clone; :func:`write_export` does the reverse for a
dashboard edited in Superset's UI and exported again.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import yaml

__all__ = [
    "BUNDLE_ROOT",
    "SERVING_PATH_PLACEHOLDER",
    "DashboardError",
    "import_bundle",
    "serving_uri",
    "write_export",
]

#: Stands for the serving file's absolute path in the committed database YAML.
SERVING_PATH_PLACEHOLDER = "/path/to/customer_segmentation_serving.duckdb"
#: Top folder of the ZIP Superset imports (any name works; Superset's export uses one too).
BUNDLE_ROOT = "customer_segmentation_dashboard"
#: Characters a file path cannot have inside a SQLAlchemy URL without being misread.
_URL_UNSAFE = re.compile(r"[?#%@\s]")


class DashboardError(RuntimeError):
    """The dashboard cannot be set up, started, checked or exported (message says why)."""


def serving_uri(serving_path: str | os.PathLike) -> str:
    """The read-only duckdb-engine URI of the serving file, as Superset stores it.

    Raises ``DashboardError`` for a path a URL would misread (``?``, ``#``, ``%``, ``@``,
    whitespace): move the file, e.g. with ``SERVING_PATH=...``.
    """
    path = Path(serving_path).resolve()
    if _URL_UNSAFE.search(str(path)):
        raise DashboardError(
            f"the serving file's path {path} has a character a database URL cannot hold "
            "(?, #, %, @ or a space): publish to another path (make build SERVING_PATH=...)"
        )
    return f"duckdb:///{path.as_posix()}?access_mode=read_only"


def _export_files(export_dir: Path) -> list[Path]:
    files = sorted(p for p in export_dir.rglob("*.yaml") if p.is_file())
    if not (export_dir / "metadata.yaml").is_file() or not files:
        raise DashboardError(f"{export_dir} holds no Superset export (no metadata.yaml)")
    return files


def _with_uri(text: str, uri: str, source: Path) -> str:
    """A database YAML with ``sqlalchemy_uri`` set to ``uri``."""
    config = yaml.safe_load(text)
    if not isinstance(config, dict) or "sqlalchemy_uri" not in config:
        raise DashboardError(f"{source} has no sqlalchemy_uri")
    config["sqlalchemy_uri"] = uri
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def import_bundle(export_dir: str | os.PathLike, serving_path: str | os.PathLike) -> bytes:
    """The ZIP for ``superset import-dashboards``: the export with the serving file's URI.

    Parameters
    ----------
    export_dir : path-like
        The committed export (``dashboard/export``).
    serving_path : path-like
        The serving file the dashboard reads (read-only).

    Returns
    -------
    bytes
        A ZIP archive with every file of the export under ``BUNDLE_ROOT/``.
    """
    export_dir = Path(export_dir)
    uri = serving_uri(serving_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in _export_files(export_dir):
            relative = path.relative_to(export_dir)
            text = path.read_text(encoding="utf-8")
            if relative.parts[0] == "databases":
                text = _with_uri(text, uri, path)
            bundle.writestr(f"{BUNDLE_ROOT}/{relative.as_posix()}", text)
    return buffer.getvalue()


def _stable_name(relative: str) -> str:
    """``charts/Total_CLV_3.yaml`` -> ``charts/Total_CLV.yaml`` (the id is per installation)."""
    return re.sub(r"_\d+\.yaml$", ".yaml", relative)


def write_export(zip_bytes: bytes, export_dir: str | os.PathLike) -> list[Path]:
    """Unzip a dashboard export from Superset into ``export_dir``, replacing what was there.

    The database URI is replaced by ``SERVING_PATH_PLACEHOLDER`` so no local path is
    committed, and the ids Superset appends to file names (``Total_CLV_3.yaml``) are dropped,
    so an export from another Superset changes only what changed. Returns the files written,
    relative to ``export_dir``.
    """
    export_dir = Path(export_dir)
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        members = [m for m in archive.namelist() if m.endswith(".yaml")]
        if not any(m.split("/", 1)[-1] == "metadata.yaml" for m in members):
            raise DashboardError("the export from Superset has no metadata.yaml")
        contents = {
            _stable_name(m.split("/", 1)[1]): archive.read(m).decode("utf-8") for m in members
        }
    placeholder = f"duckdb:///{SERVING_PATH_PLACEHOLDER}?access_mode=read_only"
    if export_dir.exists():
        shutil.rmtree(export_dir)
    written = []
    for relative, text in sorted(contents.items()):
        if relative.startswith("databases/"):
            text = _with_uri(text, placeholder, Path(relative))
        target = export_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(Path(relative))
    return written
