"""scripts/build_slides.py: decks point at vendored assets, and the offline check catches CDN links."""
from __future__ import annotations

import re

import build_slides
import pytest

from .conftest import code, md, notebook


def _deck(tmp_path, body, head=""):
    path = tmp_path / "x.slides.html"
    path.write_text(f"<html><head>{head}</head><body>{body}</body></html>")
    return path


def test_remote_assets_are_flagged(tmp_path):
    deck = _deck(tmp_path, head=(
        '<script src="https://unpkg.com/reveal.js@4.0.2/dist/reveal.js"></script>'
        '<link rel="stylesheet" href="//cdn.example/x.css">'
        "<script>var widgetRendererSrc = 'https://unpkg.com/@jupyter-widgets/html-manager@*/dist/embed-amd.js';</script>"
        "<script type=\"module\">import mermaid from 'https://cdnjs.cloudflare.com/m.mjs';</script>"
        "<style>@import url(https://fonts.googleapis.com/css?family=Lato);</style>"),
        body='<img src="http://example.com/a.png">')
    problems = build_slides.check_deck(deck)
    assert len(problems) == 6, problems
    assert all("remote" in p for p in problems)


def test_inert_and_local_references(tmp_path):
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "require.js").write_text("")
    deck = _deck(tmp_path, head='<script src="vendor/require.js?v=1"></script>', body=(
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>'
        '<a href="https://docs.aws.amazon.com/lambda/">AWS docs (a link, not an asset)</a>'
        '<img src="data:image/png;base64,AAAA">'
        '<script type="application/vnd.jupyter.widget-state+json">{"u": "https://x.org"}</script>'
        '<script src="vendor/missing.js"></script>'))
    problems = build_slides.check_deck(deck)
    assert problems == ["x.slides.html: script references missing local file vendor/missing.js"]


def test_exported_deck_uses_only_vendored_urls(tmp_path):
    nb = notebook([md("# Title\n\n$E = mc^2$", slideshow={"slide_type": "slide"}),
                   code("1 + 1")],
                  widgets={"application/vnd.jupyter.widget-state+json": {
                      "state": {}, "version_major": 2, "version_minor": 0}})
    deck = tmp_path / "98-x.slides.html"
    build_slides.export(nb, deck)
    html = deck.read_text()
    assert "vendor/html-manager/embed-amd.js" in html, "widget renderer must be local"
    assert "unpkg.com" not in html and "cdnjs" not in html and "googleapis" not in html
    remote = [p for p in build_slides.check_deck(deck) if "remote" in p]
    assert remote == []
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert srcs and all(s.startswith("vendor/") for s in srcs), srcs


def test_vendor_versions_are_pinned():
    for name, (version, parts) in build_slides.VENDOR.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} must be pinned exactly"
        assert parts
    assert build_slides.VENDOR["reveal.js"][0].startswith("4."), "nbconvert's template expects reveal 4"


@pytest.mark.parametrize("name,ok", [("03-lambda-concepts.ipynb", True), ("00-index.ipynb", True),
                                     ("scratch.ipynb", False)])
def test_notebook_selection(tmp_path, name, ok):
    (tmp_path / name).write_text("{}")
    assert (build_slides.notebooks(tmp_path) != []) is ok


def test_course_template_for_projection_and_file_urls(tmp_path):
    diagram = code("from minilambda.widgets.diagrams import lifecycle_diagram\nlifecycle_diagram();", tags=["remove-input"])
    nb = notebook([md("# Title\n\nLambda $13.58 · servers $60.74", slideshow={"slide_type": "slide"}),
                   md("Say this aloud.", slideshow={"slide_type": "notes"}), diagram,
                   md("## Next", slideshow={"slide_type": "subslide"})])
    deck = tmp_path / "98-x.slides.html"
    build_slides.export(nb, deck)
    html = deck.read_text()
    assert 'navigationMode: "linear"' in html, "the right arrow must visit sub-slides too"
    assert "width: 1280" in html and "height: 720" in html
    assert "MathJax" not in html, "no MathJax: dollar amounts must stay text"
    assert "import mermaid" not in html, "a module import fails from file://"
    assert "white-space: pre-wrap" in html, "code wraps instead of being clipped"
    assert "lifecycle_diagram" not in html, "remove-input hides the diagram's call"
    assert '<aside class="notes">' in html and "Say this aloud." in html


def test_a_notebook_whose_cell_raises_fails_the_build_with_that_cell(tmp_path, monkeypatch, capsys):
    """`make test-notebooks` is the deck build: every notebook runs top to bottom, and an error names its cell."""
    import nbformat

    monkeypatch.setattr(build_slides, "fetch_vendor", lambda vendor_dir: None)
    good, bad = tmp_path / "01-good.ipynb", tmp_path / "02-bad.ipynb"
    nbformat.write(notebook([md("# Good", slideshow={"slide_type": "slide"}), code("x = 1 + 1")]), good)
    nbformat.write(notebook([md("# Bad", slideshow={"slide_type": "slide"}),
                             code("numbers = [1, 2]\nnumbers[5]  # the broken cell")]), bad)
    assert build_slides.main([str(good), str(bad), "--out", str(tmp_path / "out"), "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert "built" in out and "01-good.slides.html" in out
    assert "FAILED 02-bad.ipynb" in out and "numbers[5]  # the broken cell" in out and "IndexError" in out
    assert not (tmp_path / "out" / "02-bad.slides.html").exists()
