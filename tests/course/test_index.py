"""notebooks/00-index.ipynb: lists all ten modules, links only to what exists, has no outputs."""
from __future__ import annotations

import re
from urllib.parse import unquote

import nbformat
import pytest

from .conftest import ROOT

INDEX = ROOT / "notebooks" / "00-index.ipynb"
MODULES = ["00-index", "01-microservices", "02-serverless", "03-lambda-concepts",
           "04-lambda-execution", "05-lambda-configuration-and-billing", "06-lambda-triggers",
           "07-apis-and-api-gateway", "08-serverless-mobile-backend", "09-runtimes-and-the-cli"]
COMING_SOON: set[str] = set()  # every module is available
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _markdown():
    return "\n".join(c.source for c in nbformat.read(INDEX, as_version=4).cells
                     if c.cell_type == "markdown")


def _links():
    return [u for u in LINK.findall(_markdown()) if not re.match(r"^[a-z]+:", u) and not u.startswith("#")]


def test_every_module_is_listed_in_order():
    text = _markdown()
    rows = [ln for ln in text.splitlines() if re.match(r"^\|\s*\d\d\s*\|", ln)]
    assert [r.split("|")[1].strip() for r in rows] == [m[:2] for m in MODULES]
    for row in rows:
        nn = row.split("|")[1].strip()
        if nn in COMING_SOON:
            assert "coming soon" in row and "](" not in row, f"module {nn}: no link while coming soon"
    for m in MODULES[1:]:
        assert f"]({m}.ipynb)" in text and f"](../labs/{m}-lab.ipynb)" in text


def test_needs_first_points_at_modules_that_exist_and_come_earlier():
    rows = [ln.split("|") for ln in _markdown().splitlines() if re.match(r"^\|\s*\d\d\s*\|", ln)]
    for row in rows[1:]:
        nn, needs = row[1].strip(), row[4]
        for dep in re.findall(r"\b\d\d\b", needs):
            assert any(m.startswith(dep) for m in MODULES), f"module {nn} needs {dep}, which does not exist"
            assert dep < nn, f"module {nn} needs {dep}, which comes later"


def test_suggested_paths_for_a_lab_session_and_a_lecture():
    text = _markdown()
    assert "3-hour lab session" in text and "90-minute lecture" in text


@pytest.mark.parametrize("link", _links())
def test_local_links_resolve(link):
    target = (INDEX.parent / unquote(link.split("#")[0])).resolve()
    assert target.exists(), f"broken link {link} in 00-index.ipynb"


def test_index_is_committed_clean_with_slide_metadata():
    nb = nbformat.read(INDEX, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert nb.cells[0].metadata["slideshow"]["slide_type"] == "slide"
    assert "make lab" in _markdown()
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "commit without outputs"
    assert "widgets" not in nb.metadata
