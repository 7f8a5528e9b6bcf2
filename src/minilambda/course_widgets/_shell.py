"""The widget shell shared by the course explorers: controls -> compute -> summary + plot.

A self-contained copy of the pattern in ``minilambda.widgets`` (it moves into the widgets package
at merge): ipywidgets and matplotlib are imported only when a widget is built.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence


def widgets_module() -> Any:
    """ipywidgets, imported on first use."""
    import ipywidgets

    return ipywidgets


def pyplot() -> Any:
    """matplotlib.pyplot, imported on first use."""
    import matplotlib.pyplot as plt

    return plt


def figure(width: float, height: float, ncols: int = 1) -> tuple[Any, Any]:
    """A small figure with fixed margins (``tight_layout`` costs ~50 ms per redraw)."""
    fig, axes = pyplot().subplots(1, ncols, figsize=(width, height))
    fig.subplots_adjust(left=0.08 if ncols > 1 else 0.1, right=0.97, bottom=0.2, top=0.85, wspace=0.35)
    return fig, axes


def money(x: Any, places: int = 2) -> str:
    """US dollars with thousands separators."""
    return f"${float(x):,.{places}f}"


def slider(kind: str, value: Any, lo: Any, hi: Any, step: Any, description: str, **kw: Any) -> Any:
    """An int/float slider that updates on release (every update reruns a model)."""
    w = widgets_module()
    cls = {"int": w.IntSlider, "float": w.FloatSlider}[kind]
    return cls(value=value, min=lo, max=hi, step=step, description=description, continuous_update=False,
               style={"description_width": "initial"}, **kw)


def build(controls: dict[str, Any], compute: Callable[..., Any], draw: Callable[[Any], Any] | None,
          describe: Callable[[Any], str], layout: Sequence[Sequence[str]] | None = None) -> Any:
    """Wire *controls* -> *compute* -> (*describe* into ``summary``, *draw* into the plot)."""
    w = widgets_module()
    summary = w.HTML()
    box = w.VBox()
    box.controls, box.summary, box.result, box.redraw_ms = controls, summary, None, 0.0

    def update(**values: Any) -> None:
        t0 = time.perf_counter()
        result = compute(**values)
        box.result = result
        summary.value = describe(result)
        if draw is not None:
            plt = pyplot()
            fig = draw(result)
            plt.show()
            plt.close(fig)
        box.redraw_ms = (time.perf_counter() - t0) * 1000.0

    out = w.interactive_output(update, controls)
    rows = layout or [list(controls)]
    box.children = (*[w.HBox([controls[name] for name in row]) for row in rows], summary, out)
    box.output = out
    if box.result is None:  # interactive_output runs once at creation inside a kernel only
        update(**{k: c.value for k, c in controls.items()})
    return box
