"""The documentation site (MkDocs, docs/ + mkdocs.yml) builds with --strict, and the README and
the configuration page keep their promises: the README stays one short page whose links land,
and every var of dbt_project.yml has a row on the configuration page (and no row names a var
that is gone)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import PROJECT_ROOT

MKDOCS = str(Path(sys.executable).with_name("mkdocs"))
README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
CONFIGURATION_PAGE = DOCS / "configuration.md"


def build_site(project: Path, site_dir: Path) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of the project's mkdocs.yml into site_dir, from the project root
    (the README snippets the home page includes are found from there)."""
    return subprocess.run(
        [MKDOCS, "build", "--strict", "--config-file", "mkdocs.yml", "--site-dir", str(site_dir)],
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def nav_pages() -> list[str]:
    """The Markdown files the nav of mkdocs.yml lists, in order."""
    # mkdocs.yml may hold !!python tags in other sections; the nav is plain YAML.
    config = yaml.load((PROJECT_ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    pages = []
    for item in config["nav"]:
        pages += list(item.values()) if isinstance(item, dict) else [item]
    return pages


def test_the_site_builds_with_strict(tmp_path):
    result = build_site(PROJECT_ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for page in nav_pages():
        built = tmp_path / "site" / page.replace(".md", ".html")
        assert built.is_file(), f"{page} was not built"
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    # The home page takes the README's tables and drawing through snippets: they must be there.
    for text in ["Twitter Devotees", "mart_customer_segments", "int_customer_features_scaled"]:
        assert text in home, f"the home page lost {text!r} from the README"
    assert "--8&lt;--" not in home and "--8<--" not in home, "a snippet marker was not replaced"


def test_a_broken_link_fails_the_strict_build(tmp_path):
    """The check can fail: the same site with one link to a missing page does not build."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(DOCS, project / "docs")
    for name in ["mkdocs.yml", "README.md"]:
        shutil.copy(PROJECT_ROOT / name, project / name)
    page = project / "docs" / "configuration.md"
    page.write_text(page.read_text() + "\nSee [the missing page](no-such-page.md).\n")
    result = build_site(project, tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-page.md" in result.stdout + result.stderr


def test_the_readme_is_one_short_page_whose_links_land():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 300
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    assert any(t.startswith("docs/") and t.endswith(".md") for t in local), local
    missing = [t for t in local if not (PROJECT_ROOT / t).exists()]
    assert missing == []
    # Every page of the site is listed in the README's "Where to go next".
    listed = {t.removeprefix("docs/") for t in local if t.startswith("docs/")}
    assert set(nav_pages()) - {"index.md"} <= listed


def _documented_vars(page: Path) -> set[str]:
    """The names in backticks in the first cell of every table row of the page."""
    names = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        cells = line.split(" | ")
        if line.startswith("| `") and len(cells) >= 3:
            names |= set(re.findall(r"`([a-z_][a-z0-9_]*)`", cells[0]))
    return names


def test_every_var_is_documented_on_the_configuration_page():
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    variables = set(project["vars"])
    assert len(variables) >= 5
    documented = _documented_vars(CONFIGURATION_PAGE)
    assert sorted(variables - documented) == [], "vars without a row on docs/configuration.md"
    assert sorted(documented - variables) == [], "rows of docs/configuration.md for no var"
