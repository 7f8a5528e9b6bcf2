"""Every explorer, at its controls' extreme values, draws a figure an instructor can project: no
text or legend outside the figure, every axis labelled (with units when it is numeric), and no
legend entry for a series that is not drawn."""
from __future__ import annotations

import re
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from minilambda import widgets as W  # noqa: E402

UNITS = re.compile(r"\(.+\)|USD|\bper\b")
CATEGORICAL = {"line item"}  # axes whose ticks are names, not quantities
EXPLORERS = {
    "cold_starts": (W.cold_start_explorer, W.draw_cold_starts),
    "concurrency": (W.concurrency_explorer, W.draw_concurrency),
    "cost": (W.cost_explorer, W.draw_cost),
    "power_tuning": (W.power_tuning_explorer, W.draw_power_tuning),
    "break_even": (W.server_vs_serverless, W.draw_break_even),
}


def extremes(control):
    """The values a student can reach at each end of a control (every option for small choices)."""
    if isinstance(control, (ipywidgets.SelectionSlider, ipywidgets.Dropdown, ipywidgets.ToggleButtons)):
        return list(control.options) if len(control.options) <= 4 else [control.options[0], control.options[-1]]
    if isinstance(control, ipywidgets.Checkbox):
        return [True, False]
    if hasattr(control, "min"):
        return [control.min, control.max]
    return []


def problems_in(fig) -> list[str]:
    """What makes this figure unfit to project."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    found = []
    hidden = {id(label) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for tick in axis.get_major_ticks()
              for label in (tick.label1, tick.label2) if not _in_view(axis, tick.get_loc())}
    for text in fig.findobj(Text):
        if id(text) in hidden or not text.get_visible() or not text.get_text().strip():
            continue
        ext = text.get_window_extent(renderer)
        if ext.x0 < box.x0 - 2 or ext.y0 < box.y0 - 2 or ext.x1 > box.x1 + 2 or ext.y1 > box.y1 + 2:
            found.append(f"text {text.get_text()!r} falls outside the figure")
    for ax in fig.axes:
        for axis, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
            siblings = ax.get_shared_x_axes().get_siblings(ax) if axis == "x" else [ax]
            twin_labels = [s.get_xlabel() for s in siblings if s is not ax] if axis == "x" else []
            shared_hidden = axis == "x" and not any(t.get_visible() and t.get_text()
                                                    for t in ax.get_xticklabels())
            if shared_hidden or (not label and any(twin_labels)):
                continue  # a shared x axis is labelled once (the bottom plot, or the twin's base)
            if not label:
                found.append(f"an {axis} axis has no label")
            elif label not in CATEGORICAL and not UNITS.search(label) and not _categorical(ax, axis):
                found.append(f"axis label {label!r} has no unit")
    found += _undrawn_legend_entries(fig)
    return found


def _in_view(axis, loc) -> bool:
    """Matplotlib keeps tick labels beyond the view limits but does not draw them."""
    lo, hi = sorted(axis.get_view_interval())
    span = (hi - lo) or 1.0
    return lo - 1e-9 * span <= loc <= hi + 1e-9 * span


def _categorical(ax, axis: str) -> bool:
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    texts = [t.get_text() for t in ticks if t.get_text()]
    return bool(texts) and not any(re.fullmatch(r"[-−\d.,k%$e+]+", t) for t in texts)


def _colours(artist) -> list:
    out = []
    for getter in ("get_color", "get_facecolor", "get_edgecolor"):
        if hasattr(artist, getter):
            value = getattr(artist, getter)()
            arr = np.atleast_2d(np.asarray(to_rgba(value) if isinstance(value, str) else value, dtype=float))
            out += [tuple(np.round(c[:3], 2)) for c in arr if c.size >= 3 and (c.size < 4 or c[3] > 0)]
    return out


def _has_data(artist) -> bool:
    if hasattr(artist, "get_xdata"):
        return len(artist.get_xdata()) > 0
    if hasattr(artist, "get_offsets") and len(artist.get_offsets()) > 0:
        return True
    if hasattr(artist, "get_paths") and not hasattr(artist, "get_offsets"):
        return len(artist.get_paths()) > 0
    if hasattr(artist, "get_paths") and type(artist).__name__ in ("PolyCollection", "BrokenBarHCollection"):
        return len(artist.get_paths()) > 0
    if hasattr(artist, "get_width") and hasattr(artist, "get_height"):
        return artist.get_width() * artist.get_height() != 0
    return False


def _undrawn_legend_entries(fig) -> list[str]:
    drawn = [a for ax in fig.axes for a in (*ax.lines, *ax.collections, *ax.patches) if _has_data(a)]
    labels_drawn = {a.get_label() for a in drawn}
    colours_drawn = {c for a in drawn for c in _colours(a)}
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    found = []
    for legend in legends:
        for handle, text in zip(legend.legend_handles, legend.get_texts()):
            label = text.get_text()
            if label in labels_drawn:
                continue
            if not set(_colours(handle)) & colours_drawn:
                found.append(f"legend names {label!r}, which is not drawn")
    return found


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_explorer_at_its_extremes_draws_a_clean_figure(name):
    factory, draw = EXPLORERS[name]
    box = factory()
    defaults = {k: c.value for k, c in box.controls.items() if hasattr(c, "value")}
    seen = []
    for key, control in box.controls.items():
        for value in extremes(control):
            control.value = value
            fig = draw(box.result)
            size = tuple(fig.get_size_inches())
            seen.append(size)
            problems = problems_in(fig)
            plt.close(fig)
            assert not problems, f"{name} with {key}={value!r}: {problems}"
        if key in defaults:
            control.value = defaults[key]
    assert len(set(seen)) == 1, f"{name}: the figure changes size with the controls ({set(seen)})"


def _record(t, rid, step):
    return SimpleNamespace(time=t, request_id=rid, step=step)


@pytest.mark.parametrize("events", [0, 1, 7, 40])
def test_failure_path_timeline_is_clean_and_shows_every_attempt(events):
    recs = []
    for i in range(events):
        recs += [_record(i, f"r{i}", "accepted"), _record(i, f"r{i}", "attempt")]
        if i % 2:
            recs += [_record(i + 60, f"r{i}", "attempt"), _record(i + 180, f"r{i}", "attempt"),
                     _record(i + 180, f"r{i}", "destination")]
        else:
            recs.append(_record(i, f"r{i}", "success"))
    paths = W.failure_paths(recs)
    fig = W.draw_failure_paths(paths)
    assert problems_in(fig) == []
    ax = fig.axes[0]
    dots = [c for c in ax.collections if len(c.get_offsets()) and len(c.get_facecolor()) and tuple(np.round(c.get_facecolor()[0][:3], 2))
            == tuple(np.round(to_rgba("#d62728")[:3], 2))]
    drawn_attempts = sum(len(c.get_offsets()) for c in dots)
    assert drawn_attempts == sum(W.failure_paths.__globals__["attempts"](s) for _, s, _ in paths.rows[:25])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert not any(lbl.startswith("r") for lbl in labels), "rows are numbered, not labelled by request id"
    plt.close(fig)


def test_cold_start_timeline_shows_every_environment_or_says_so():
    r = W.explore_cold_starts(rate=5, keep_alive=0)
    fig = W.draw_cold_starts(r)
    title = fig.axes[0].get_title(loc="left")
    assert str(len(r.timeline)) in title
    if len(r.timeline) > 80:
        assert "shown" in title
    plt.close(fig)


def test_a_legend_for_an_undrawn_series_is_caught():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], color="C0", label="drawn")
    ax.bar(0, 0, color="#ff00ff", label="ghost")
    ax.set_xlabel("t (s)")
    ax.set_ylabel("y (ms)")
    ax.legend()
    assert problems_in(fig) == ["legend names 'ghost', which is not drawn"]
    ax.set_xlabel("time")
    ax.set_title("x" * 400)
    found = problems_in(fig)
    assert any("no unit" in p for p in found) and any("outside the figure" in p for p in found)
    plt.close(fig)
