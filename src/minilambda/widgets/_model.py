"""Small helpers shared by the explorers' model functions (no ipywidgets, no matplotlib)."""

from __future__ import annotations

import math


def ms(seconds: float | None) -> float:
    """Seconds to milliseconds; NaN when there is no value."""
    return float("nan") if seconds is None or not math.isfinite(seconds) else seconds * 1000.0
