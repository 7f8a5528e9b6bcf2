"""The shell every explorer shares: an ``Explorer`` VBox, control factories and figure helpers.

An explorer wires its controls to a pure ``explore_*`` function (the model) and a ``draw_*``
function (a matplotlib figure of a fixed size, so the layout never jumps), shows the key numbers
in ``summary`` and keeps the latest result in ``result`` so tests can drive it without a browser.
"""

from __future__ import annotations

import html
import time
from typing import Any, Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt

COLOURS = {"cold": "#d62728", "warm": "#2ca02c", "idle": "#c7c7c7", "provisioned": "#1f77b4",
           "throttled": "#ff7f0e"}
CONTROL_WIDTH = "470px"  # wide enough for a readable track of 100-500 steps
LABEL_STYLE = {"description_width": "200px"}  # labels are never cut ("memory (MB)", "rate (req/s in a burst)")


class Explorer(widgets.VBox):
    """A VBox of controls, a summary line and a plot, plus the latest model result.

    Plain attributes (not synced to the browser): ``controls`` (input widgets by parameter name),
    ``summary`` (an ``HTML`` widget), ``result`` (the latest model result), ``redraw_ms``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.controls: dict = {}
        self.summary = widgets.HTML()
        self.result: Any = None
        self.redraw_ms = 0.0


def figure(width: float, height: float, *, left: float = 0.1, right: float = 0.97, bottom: float = 0.2,
           top: float = 0.85, rows: int = 1, cols: int = 1, height_ratios: Sequence[float] | None = None,
           wspace: float = 0.35):
    """A figure of a fixed size with fixed margins (``tight_layout`` costs ~50 ms per redraw)."""
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), sharex=rows > 1 and cols == 1,
                             gridspec_kw={"height_ratios": height_ratios} if height_ratios else None)
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top, hspace=0.15, wspace=wspace)
    return fig, axes


def rate_on_twin_axis(ax: Any, hours: Any, rate: Any) -> None:
    """The request rate on a right-hand axis of *ax*, its line added to *ax*'s legend (upper left)."""
    rate_ax = ax.twinx()
    rate_ax.plot(hours, rate, color="#ff7f0e", linewidth=1, label="requests/s")
    rate_ax.set_ylabel("requests per second")
    lines, more = ax.get_legend_handles_labels(), rate_ax.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, frameon=False, loc="upper left")


def money(x: Any, places: int = 2) -> str:
    """``$1,234.57``."""
    return f"${float(x):,.{places}f}"


def slider(kind: str, value: Any, lo: Any, hi: Any, step: Any, description: str, **kw: Any):
    """An int, float or log slider with a full-width track and an uncut label; updates on release."""
    cls = {"int": widgets.IntSlider, "float": widgets.FloatSlider, "log": widgets.FloatLogSlider}[kind]
    extra = {"base": 10} if kind == "log" else {}
    return cls(value=value, min=lo, max=hi, step=step, description=description, continuous_update=False,
               style=LABEL_STYLE, layout=widgets.Layout(width=CONTROL_WIDTH), **extra, **kw)


def selection(options: Sequence[Any], value: Any, description: str):
    """A selection slider (discrete values such as memory sizes) with an uncut label."""
    return widgets.SelectionSlider(options=list(options), value=value, description=description,
                                   continuous_update=False, style=LABEL_STYLE,
                                   layout=widgets.Layout(width=CONTROL_WIDTH))


def toggles(options: Sequence[str], value: str, description: str = ""):
    """Toggle buttons wide enough for their longest label."""
    width = f"{max(len(o) for o in options) * 0.7 + 2.5:.1f}em"
    return widgets.ToggleButtons(options=list(options), value=value, description=description,
                                 style={"button_width": width, "description_width": "initial"})


def dropdown(options: Sequence[str], value: str, description: str):
    """A dropdown with an uncut label."""
    return widgets.Dropdown(options=list(options), value=value, description=description, style=LABEL_STYLE,
                            layout=widgets.Layout(width=CONTROL_WIDTH))


def checkbox(value: bool, description: str):
    """A checkbox whose label is never cut."""
    return widgets.Checkbox(value=value, description=description, indent=False,
                            layout=widgets.Layout(width="auto"))


def build(controls: dict, compute: Callable[..., Any], draw: Callable[[Any], Any] | None,
          describe: Callable[[Any], str], layout: Sequence[Sequence[str]] | None = None) -> Explorer:
    """Wire *controls* -> *compute* -> (*describe* into the summary, *draw*, if any, into the plot)."""
    box = Explorer()
    box.controls = controls

    def update(**values: Any) -> None:
        t0 = time.perf_counter()
        result = compute(**values)
        box.result = result
        box.summary.value = describe(result)
        if draw is not None:
            fig = draw(result)
            plt.show()
            plt.close(fig)
        box.redraw_ms = (time.perf_counter() - t0) * 1000.0

    out = widgets.interactive_output(update, controls)
    out.layout = widgets.Layout(min_height="300px" if draw is not None else "0px")  # the plot area keeps its size between redraws
    rows = layout or [list(controls)]
    control_rows = [widgets.HBox([controls[name] for name in row], layout=widgets.Layout(flex_flow="row wrap"))
                    for row in rows]
    box.children = (*control_rows, box.summary, out)
    box.output = out
    if box.result is None:  # interactive_output runs once at creation inside a kernel only
        update(**{k: c.value for k, c in controls.items()})
    return box


def pre(text: str) -> str:
    """Scrollable preformatted HTML."""
    return f"<pre style='font-size:78%;max-height:320px;overflow:auto'>{html.escape(text)}</pre>"


def notice(text: str) -> str:
    """A visible warning line for a summary widget."""
    return f"<div style='color:#a94442;font-weight:bold'>⚠ {html.escape(text)}</div>"
