"""The course in JupyterLab, started as `make lab` starts it, driven by Chromium.

Each notebook: Run All finishes with no error output; widgets render as widgets (not as
``VBox(...)`` text or "Error displaying widget"); moving a slider (or clicking a source) changes the
explorer's summary and plot within 1 s; the browser console shows no errors. The live deck
(jupyterlab-slideshow) starts at the first slide and shows code and live widgets.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import ROOT, Console
from .lab import Lab

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
ALL_RUN = """() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
  return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }"""
ERRORS = """() => [...document.querySelectorAll('.jp-OutputArea-output')]
  .map(e => e.innerText)
  .filter(t => /Traceback \\(most recent call last\\)|^\\w*(Error|Exception): /m.test(t) || t.includes('Error displaying widget')
               || /^(VBox|HBox|Explorer|IntSlider|Output)\\(/.test(t.trim()))
  .map(t => t.slice(0, 300))"""
RESPONSE_S = 1.0
CONTROLS = """() => ({
  tracks: [...document.querySelectorAll('.widget-slider .noUi-target')].map(e => Math.round(e.getBoundingClientRect().width)),
  cut: [...document.querySelectorAll('.widget-label, .widget-toggle-button, .widget-dropdown select')]
        .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim()),
})"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("lab"))
    yield server
    server.close()


@dataclass(frozen=True)
class OpenNotebook:
    """A notebook open in JupyterLab after Run All: both checks of a notebook share one run."""

    page: Any
    name: str


@pytest.fixture(scope="module", params=NOTEBOOKS)
def notebook(request, browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.console = Console(page)
    open_and_run_all(page, lab, request.param)
    yield OpenNotebook(page, request.param)
    context.close()
    lab.shut_down_kernels()


def open_and_run_all(page, lab, name: str) -> None:
    page.goto(lab.notebook_url(name))
    page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=90_000, state="attached")
    if page.evaluate("document.body.dataset.jpDeckMode === 'presenting'"):
        page.locator("button.jp-deck-mod-stop").click()  # a deck left running by an earlier session
    assert page.locator("text=Would you like to get notified about official Jupyter news?").count() == 0, \
        "the Jupyter news pop-up covers the notebook: scripts/lab-settings/overrides.json should switch it off"
    page.click("#jp-MainMenu >> text=Run")
    page.click("li.lm-Menu-item >> text=Run All Cells")
    page.wait_for_function(ALL_RUN, timeout=180_000)


def changes_within(page, trigger, watch: list[str], seconds: float) -> float:
    """Run *trigger*; return how long until every expression in *watch* has changed value."""
    before = [page.evaluate(js) for js in watch]
    t0 = time.monotonic()
    trigger()
    changed = " && ".join(f"(({js}) !== b[{i}])" for i, js in enumerate(watch))
    page.wait_for_function(f"(b) => {changed}", arg=before, timeout=int(seconds * 1000))
    return time.monotonic() - t0


def explorer_js(index: int, what: str) -> str:
    """An expression reading the summary or the plot of the *index*-th explorer that has a plot."""
    pick = f"[...document.querySelectorAll('.widget-vbox')].filter(b => b.querySelector('.widget-slider') && b.querySelector('img'))[{index}]"
    if what == "summary":
        return f"({pick}).querySelector('.widget-html-content').innerText"
    return f"({pick}).querySelector('img').src"


def test_notebook_runs_and_its_widgets_respond(notebook):
    page, name = notebook.page, notebook.name
    errors = page.evaluate(ERRORS)
    assert not errors, f"{name}: error output after Run All: {errors}"
    uses_widgets = "explorer(" in (ROOT / "notebooks" / name).read_text() or "server_vs_serverless(" in \
        (ROOT / "notebooks" / name).read_text()
    if uses_widgets:
        assert page.locator(".jupyter-widgets").count() > 0, f"{name}: no widget was rendered"
    controls = page.evaluate(CONTROLS)
    assert all(w >= 150 for w in controls["tracks"]), f"{name}: slider tracks too short to use: {controls['tracks']} px"
    assert not controls["cut"], f"{name}: control labels cut off: {controls['cut']}"
    explorers = page.evaluate(f"[...document.querySelectorAll('.widget-vbox')].filter(b => b.querySelector('.widget-slider') && b.querySelector('img')).length")
    for i in range(explorers):
        handle = page.locator(".widget-vbox:has(.widget-slider):has(img)").nth(i).locator(".widget-slider .noUi-handle").first

        def move():
            handle.focus()
            page.keyboard.press("ArrowRight")

        watch = [explorer_js(i, "summary"), explorer_js(i, "plot")]
        changes_within(page, move, watch, 15)  # warm-up: the first redraw of a kernel imports more
        changes_within(page, move, watch, RESPONSE_S)  # summary and plot both changed within 1 s
    if "event_explorer(" in (ROOT / "notebooks" / name).read_text():
        summary = "[...document.querySelectorAll('.widget-html-content')].map(e => e.innerText).join('|')"
        changes_within(page, lambda: page.locator(".widget-toggle-button >> text=S3").first.click(), [summary], RESPONSE_S)
    assert not page.console.errors, f"{name}: browser console errors: {page.console.errors[:5]}"


ON_SCREEN = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const shown = cells.map((c, i) => [c, i]).filter(([c]) => c.classList.contains('jp-deck-mod-onscreen'));
  return {cells: shown.map(([, i]) => i),
          code: shown.filter(([c]) => c.classList.contains('jp-CodeCell')
                                   && c.querySelector('.jp-InputArea') && c.querySelector('.jp-InputArea').offsetHeight > 0).length,
          widgets: shown.filter(([c]) => c.querySelector('.jupyter-widgets .widget-slider, .jupyter-widgets .widget-toggle-button')).length,
          presenting: document.body.dataset.jpDeckMode === 'presenting'};
}"""


LIVE_EXPLORER = ".jp-Cell.jp-deck-mod-onscreen .widget-vbox:has(.widget-slider):has(img)"
LIVE_SUMMARY = f"document.querySelector('{LIVE_EXPLORER}').querySelector('.widget-html-content').innerText"
LIVE_PLOT = f"document.querySelector('{LIVE_EXPLORER}').querySelector('img').src"


def drag_a_slider_in_the_deck(page) -> int:
    """Drag the first slider of the explorer on screen (arrow keys belong to the deck); 1 if it redrew."""
    handle = page.locator(LIVE_EXPLORER).first.locator(".noUi-handle").first

    def drag(dx: float):
        def go():
            box = handle.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2, steps=4)
            page.mouse.up()
        return go

    changes_within(page, drag(40), [LIVE_SUMMARY, LIVE_PLOT], 15)  # warm-up
    changes_within(page, drag(-25), [LIVE_SUMMARY, LIVE_PLOT], RESPONSE_S)
    return 1


def start_deck(page) -> None:
    page.locator(".jp-Notebook .jp-Cell").first.click()  # the deck starts at the active cell: the title
    page.keyboard.press("Control+Shift+C")
    page.keyboard.type("Start Deck")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.dataset.jpDeckMode === 'presenting'", timeout=15_000)


def test_live_deck_shows_code_and_live_widgets(notebook):
    page, name = notebook.page, notebook.name
    lecture = not name.startswith("00-")  # the index is a deck too, of markdown only
    start_deck(page)
    first = page.evaluate(ON_SCREEN)
    assert 0 in first["cells"], f"{name}: the deck should start at the first slide, not at cell {first['cells']}"
    code = widgets = redrawn = 0
    seen: list = []
    forward = page.locator("button.jp-deck-mod-direction-forward")
    for _ in range(120):  # slides and fragments
        state = page.evaluate(ON_SCREEN)
        seen.append(state["cells"])
        code += state["code"]
        widgets += state["widgets"]
        if not redrawn and page.locator(LIVE_EXPLORER).count():
            redrawn = drag_a_slider_in_the_deck(page)
        if "jp-mod-disabled" in (forward.get_attribute("class") or ""):
            break  # the last slide
        forward.click()  # the remote's "next" (arrow keys go to a code cell's editor once it is active)
        page.wait_for_function("(b) => JSON.stringify((" + ON_SCREEN + ")().cells) !== b", arg=json.dumps(state["cells"]),
                               timeout=10_000)
    print(f"{name}: {len(seen)} steps in the live deck, {code} code cells and {widgets} widget cells on screen")
    page.locator("button.jp-deck-mod-stop").click()
    assert code > 0 or not lecture, f"{name}: the live deck never shows a code cell"
    cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
    shown = {i for i, c in enumerate(cells)
             if c.get("metadata", {}).get("slideshow", {}).get("slide_type") not in ("skip", "notes")}
    missed = sorted(shown - {i for step in seen for i in step})
    assert not missed, f"{name}: clicking forward through the live deck never shows cells {missed}"
    if "cold_start_explorer(" in (ROOT / "notebooks" / name).read_text() or "cost_explorer(" in (ROOT / "notebooks" / name).read_text():
        assert redrawn, f"{name}: no explorer on a slide redrew after its slider moved"
    assert widgets > 0 or not lecture, f"{name}: the live deck never shows a live widget"
    assert not page.console.errors, f"{name}: browser console errors: {page.console.errors[:5]}"
