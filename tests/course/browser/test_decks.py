"""Offline decks in Chromium: from file:// with every network request blocked, every slide is
reachable with the right arrow (linear order), none is larger than 1280x720 or clips its code,
and the console stays clean."""
from __future__ import annotations

import pytest

from .conftest import ROOT, Console

DECKS = sorted((ROOT / "slides").glob("[0-9][0-9]-*.slides.html"))
VIEWPORT = {"width": 1280, "height": 720}

STATE = """() => {
  const s = document.querySelector('.reveal .slides section.present:not(.stack)')
         || document.querySelector('.reveal .slides section.present');
  if (!s) return null;
  const r = s.getBoundingClientRect();
  const clipped = [...s.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth + 2
                    && getComputedStyle(p).overflowX !== 'auto' && getComputedStyle(p).overflowX !== 'scroll').length;
  const overflowing = s.scrollHeight > s.clientHeight + 2 && getComputedStyle(s).overflowY === 'visible';
  const all = [...document.querySelectorAll('.reveal .slides section:not(.stack)')];
  return {index: all.indexOf(s), hash: location.hash, top: r.top, left: r.left, bottom: r.bottom, right: r.right, clipped, overflowing,
          scrolls: s.scrollHeight > s.clientHeight + 2,
          total: document.querySelectorAll('.reveal .slides section:not(.stack)').length};
}"""


def test_decks_were_built():
    if not DECKS:
        pytest.skip("no decks in slides/: run `make slides` first (make test-browser does)")


@pytest.mark.parametrize("deck", DECKS, ids=lambda p: p.stem)
def test_offline_deck(browser, deck):
    context = browser.new_context(viewport=VIEWPORT)
    blocked = []

    def route(r):
        if r.request.url.startswith("file://"):
            return r.continue_()
        blocked.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    page = context.new_page()
    console = Console(page)
    page.goto(deck.as_uri())
    page.wait_for_selector(".reveal.ready", timeout=20_000)
    first = page.evaluate(STATE)
    assert page.evaluate("typeof MathJax === 'undefined' && !document.querySelector('.MathJax, mjx-container')"), \
        "MathJax would typeset dollar amounts as math: the course's decks load none"
    seen, problems, scrolling, last_hash = set(), [], 0, None
    for _ in range(4 * first["total"] + 10):  # fragments take extra steps
        state = page.evaluate(STATE)
        if state["hash"] == last_hash:
            break  # the right arrow does nothing more: the end
        last_hash = state["hash"]
        if state["index"] in seen:
            page.keyboard.press("ArrowRight")
            continue
        seen.add(state["index"])
        where = f"{deck.name} slide {state['index'] + 1}"
        if state["top"] < -1 or state["left"] < -1 or state["bottom"] > 721 or state["right"] > 1281:
            problems.append(f"{where} is larger than 1280x720: {state}")
        if state["clipped"]:
            problems.append(f"{where} clips {state['clipped']} code block(s) on the right")
        if state["overflowing"]:
            problems.append(f"{where} overflows its slide")
        scrolling += state["scrolls"]
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(30)
    context.close()
    print(f"{deck.name}: {len(seen)} slides, {scrolling} scroll inside their 720 px")
    assert len(seen) == first["total"], f"the right arrow reached {len(seen)} of {first['total']} slides"
    assert not problems, "\n".join(problems)
    assert not blocked, f"the deck tried the network: {blocked[:3]}"
    assert not console.errors, console.errors
