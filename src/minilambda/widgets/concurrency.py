"""Concurrency: a burst against the account limit and the function's reserved concurrency."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ConcurrencyResult:
    """A burst's concurrency over time and its throttles."""

    requests: int
    throttles: int
    throttle_ratio: float
    peak_concurrency: int
    throttle_reasons: dict
    time: np.ndarray = field(repr=False)  # grid, seconds
    concurrency: np.ndarray = field(repr=False)  # requests running at each grid point
    throttles_per_s: np.ndarray = field(repr=False)  # 429s in each second
    limit: int = 0


def explore_concurrency(burst_rps: float = 400.0, burst_seconds: float = 10.0, duration_ms: float = 2000.0,
                        account_limit: int = 1000, reserved: int = 0, seed: int = 1, *,
                        horizon: float = 30.0) -> ConcurrencyResult:
    """A steady burst of *burst_rps* for *burst_seconds*, each request taking *duration_ms*.

    Concurrency is about rate x duration (Little's law); requests beyond the function's limit
    (its *reserved* concurrency if > 0, else the *account_limit*) get a 429.
    """
    from ..sim import Bursty, Constant, simulate

    horizon = max(horizon, burst_seconds + duration_ms / 1000.0 + 5.0)
    arrivals = Bursty(burst_rps, on=burst_seconds, off=horizon * 10, random_periods=False)
    res = simulate(arrivals=arrivals, warm=Constant(duration_ms / 1000.0), init=Constant(0.25),
                   keep_alive=600, duration=horizon, seed=seed, max_concurrency=int(account_limit),
                   reserved=int(reserved) or None, keep_records=True)
    recs = res.records or []
    ran = [r for r in recs if r.outcome.value != "throttled"]
    thr = [r for r in recs if r.outcome.value == "throttled"]
    grid = np.linspace(0, horizon, 301)
    starts = np.sort(np.array([r.start for r in ran])) if ran else np.zeros(0)
    ends = np.sort(np.array([r.end for r in ran])) if ran else np.zeros(0)
    conc = np.searchsorted(starts, grid, side="right") - np.searchsorted(ends, grid, side="right")
    seconds = int(np.ceil(horizon))
    tps = np.bincount(np.array([int(r.start) for r in thr], dtype=int), minlength=seconds)[:seconds] \
        if thr else np.zeros(seconds, dtype=int)
    s = res.summary
    return ConcurrencyResult(requests=s.requests, throttles=s.throttles, throttle_ratio=s.throttle_ratio,
                             peak_concurrency=int(conc.max()) if conc.size else 0,
                             throttle_reasons=dict(s.throttle_reasons), time=grid, concurrency=conc,
                             throttles_per_s=tps, limit=int(reserved) or int(account_limit))


def draw_concurrency(result: ConcurrencyResult):
    """Concurrent executions against the limit (top) and 429s per second (bottom), sharing time."""
    from ._shell import COLOURS, figure

    fig, (top, bottom) = figure(8, 3.3, rows=2, height_ratios=(2.2, 1), left=0.1, bottom=0.15, top=0.88)
    top.plot(result.time, result.concurrency, color=COLOURS["warm"], label="concurrent executions")
    top.axhline(result.limit, color="k", linestyle="--", linewidth=1, label=f"limit ({result.limit:,})")
    top.set_ylabel("concurrency (executions)")
    top.set_ylim(0, max(result.limit, result.peak_concurrency, 1) * 1.1)
    if result.throttles:
        bottom.bar(np.arange(result.throttles_per_s.size) + 0.5, result.throttles_per_s, width=0.9,
                   color=COLOURS["throttled"], label="429s (throttles)")
    else:
        bottom.text(0.5, 0.5, "no 429s: nothing was throttled", transform=bottom.transAxes, ha="center",
                    va="center", fontsize=8, color="#555555")
    bottom.set_ylabel("429s per s")
    bottom.set_ylim(0, max(int(result.throttles_per_s.max(initial=0)), 1) * 1.15)
    bottom.set_xlabel("time (s)")
    bottom.set_xlim(0, float(result.time[-1]))
    handles = [h for ax in (top, bottom) for h in ax.get_legend_handles_labels()[0]]
    labels = [lb for ax in (top, bottom) for lb in ax.get_legend_handles_labels()[1]]
    fig.legend(handles, labels, loc="upper right", ncol=3, fontsize=8, frameon=False, bbox_to_anchor=(0.98, 1.0))
    return fig


def describe_concurrency(r: ConcurrencyResult) -> str:
    """The summary line."""
    reasons = ", ".join(f"{k}: {v:,}" for k, v in r.throttle_reasons.items()) or "none"
    return (f"<b>peak concurrency {r.peak_concurrency:,}</b> (limit {r.limit:,}) · "
            f"<b>throttled {r.throttles:,}</b> of {r.requests:,} ({r.throttle_ratio:.1%}) · reasons: {reasons}")


def concurrency_explorer(burst_rps: float = 400.0, burst_seconds: float = 10.0, duration_ms: float = 2000.0,
                         account_limit: int = 1000, reserved: int = 0, seed: int = 1):
    """A burst against the account limit and the function's reserved concurrency."""
    import ipywidgets as widgets

    from ._shell import build, slider

    controls = {
        "burst_rps": slider("int", burst_rps, 50, 1500, 50, "burst (req/s)"),
        "burst_seconds": slider("int", burst_seconds, 1, 15, 1, "burst length (s)"),
        "duration_ms": slider("int", duration_ms, 100, 5000, 100, "duration (ms)"),
        "account_limit": slider("int", account_limit, 100, 3000, 100, "account limit"),
        "reserved": slider("int", reserved, 0, 1000, 50, "reserved (0 = none)"),
        "seed": widgets.fixed(seed),
    }
    return build(controls, explore_concurrency, draw_concurrency, describe_concurrency,
                 layout=[["burst_rps", "burst_seconds"], ["duration_ms", "account_limit"], ["reserved"]])
