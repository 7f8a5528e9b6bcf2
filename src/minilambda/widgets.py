"""Course widgets: each one is a pure, tested ``explore_*`` function of the model, wired to sliders.

Every widget follows the same split (jupyter-widgets tutorial, "Separating concerns"):

* ``explore_*(...)`` computes a small frozen result from the simulator or the billing model. It
  knows nothing about widgets, so tests and notebooks call it directly.
* ``draw_*(result)`` draws that result on a small matplotlib figure.
* ``*_explorer()`` builds the controls, wires them with ``widgets.interactive_output`` and returns
  an :class:`Explorer` (a ``VBox``) whose ``summary`` HTML widget shows the key numbers and whose
  ``result`` attribute holds the latest result, so a test can set ``controls["keep_alive"].value``
  and read the new numbers without a browser.

Every redraw is sized to take well under 300 ms (``explorer.redraw_ms`` records the last one).
"""

from __future__ import annotations

import base64
import json
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "Explorer",
    "ColdStartResult", "explore_cold_starts", "draw_cold_starts", "cold_start_explorer",
    "ConcurrencyResult", "explore_concurrency", "draw_concurrency", "concurrency_explorer",
    "CostResult", "explore_cost", "draw_cost", "cost_explorer",
    "explore_power_tuning", "draw_power_tuning", "power_tuning_explorer",
    "BreakEvenResult", "explore_break_even", "draw_break_even", "server_vs_serverless",
    "EVENT_SOURCES", "ECHO_HANDLER", "make_event", "invoke_with_event", "event_explorer",
    "FailurePaths", "failure_paths", "draw_failure_paths", "failure_path_timeline",
]

COLOURS = {"cold": "#d62728", "warm": "#2ca02c", "idle": "#c7c7c7", "provisioned": "#1f77b4",
           "throttled": "#ff7f0e"}


def _w():
    import ipywidgets

    return ipywidgets


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _figure(w: float, h: float, *, left: float = 0.09, right: float = 0.97, bottom: float | None = None,
            top: float | None = None):
    """A small figure with fixed margins (``tight_layout`` costs ~50 ms per redraw)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(w, h))
    fig.subplots_adjust(left=left, right=right, bottom=bottom if bottom is not None else min(0.45, 0.55 / h),
                        top=top if top is not None else 1 - min(0.3, 0.4 / h))
    return fig, ax


def _money(x: Any, places: int = 2) -> str:
    return f"${float(x):,.{places}f}"


# ---------------------------------------------------------------------------------------------
# The widget shell shared by every explorer.


def _explorer_class():
    widgets = _w()

    class Explorer(widgets.VBox):
        """A VBox of controls, a summary line and a plot, plus the latest model result.

        Attributes (plain Python, not synced to the browser):
            controls: the input widgets by parameter name.
            summary: an ``HTML`` widget with the key numbers.
            result: the latest result of the ``explore_*`` function.
            redraw_ms: how long the last update (model + figure) took.
        """

    return Explorer


Explorer = None  # replaced on first use (keeps ``import minilambda.widgets`` free of ipywidgets)


def _build(controls: dict, compute: Callable[..., Any], draw: Callable[[Any], Any],
           describe: Callable[[Any], str], layout: Sequence[Sequence[str]] | None = None):
    """Wire *controls* -> *compute* -> (*describe* into the summary, *draw* into the plot)."""
    global Explorer
    widgets = _w()
    if Explorer is None:
        Explorer = _explorer_class()
    summary = widgets.HTML()
    box = Explorer()
    box.controls, box.summary, box.result, box.redraw_ms = controls, summary, None, 0.0

    def update(**values):
        t0 = time.perf_counter()
        result = compute(**values)
        box.result = result
        summary.value = describe(result)
        plt = _plt()
        fig = draw(result)
        plt.show()
        plt.close(fig)
        box.redraw_ms = (time.perf_counter() - t0) * 1000.0

    out = widgets.interactive_output(update, controls)
    rows = layout or [list(controls)]
    control_rows = [widgets.HBox([controls[name] for name in row]) for row in rows]
    box.children = (*control_rows, summary, out)
    box.output = out
    if box.result is None:  # interactive_output runs once at creation inside a kernel only
        update(**{k: c.value for k, c in controls.items()})
    return box


def _slider(kind: str, value, lo, hi, step, description: str, **kw):
    widgets = _w()
    cls = {"int": widgets.IntSlider, "float": widgets.FloatSlider, "log": widgets.FloatLogSlider}[kind]
    style = {"description_width": "initial"}
    if kind == "log":
        return cls(value=value, base=10, min=lo, max=hi, step=step, description=description,
                   continuous_update=False, style=style, **kw)
    return cls(value=value, min=lo, max=hi, step=step, description=description, continuous_update=False,
               style=style, **kw)


# ---------------------------------------------------------------------------------------------
# (b) Cold starts: keep-alive, placement, provisioned concurrency, memory.


@dataclass(frozen=True)
class ColdStartResult:
    """What one run of :func:`explore_cold_starts` measured, and the environments' timeline."""

    requests: int
    cold_starts: int
    cold_start_ratio: float
    p50_ms: float
    p99_ms: float
    environments_created: int
    mean_environments: float
    cost_usd: float
    duration_s: float
    # One row per environment: (environment id, [(start, end, kind)]), kind = cold/warm/idle/provisioned.
    timeline: list = field(default_factory=list, repr=False)
    parameters: dict = field(default_factory=dict, repr=False)


def explore_cold_starts(rate: float = 0.5, keep_alive: float = 120.0, placement: str = "newest",
                        provisioned: int = 0, memory: int = 512, seed: int = 1, *,
                        duration: float = 1800.0, burst_on: float = 60.0, burst_off: float = 240.0,
                        warm_ms: float = 120.0, init_ms: float = 800.0, cpu_bound: float = 0.6
                        ) -> ColdStartResult:
    """Simulate bursty traffic (*rate* requests/s during 1-minute bursts, 4 minutes apart on
    average) against one function and measure its cold starts.

    *warm_ms* and *init_ms* are durations at 1,769 MB (one vCPU); the *cpu_bound* share of them
    scales with *memory*. *cost_usd* is the bill of the simulated window (no free tier),
    provisioned concurrency included.
    """
    from .billing.bill import Provisioned, bill_summary
    from .sim import Bursty, DurationModel, LogNormal, simulate

    warm = LogNormal.from_mean_cv(warm_ms / 1000.0, 0.5) if hasattr(LogNormal, "from_mean_cv") else None
    if warm is None:
        from .sim import Exponential

        warm = Exponential(mean=warm_ms / 1000.0)
    from .sim import Constant

    res = simulate(arrivals=Bursty(rate, on=burst_on, off=burst_off), warm=warm, init=Constant(init_ms / 1000.0),
                   keep_alive=keep_alive, duration=duration, seed=seed, placement=placement,
                   memory_mb=int(memory), provisioned=int(provisioned), keep_records=True,
                   duration_model=DurationModel(cpu_bound_fraction=cpu_bound))
    s = res.summary
    pc = Provisioned(int(provisioned), seconds=duration) if provisioned else None
    bill = bill_summary(s, provisioned=pc)
    return ColdStartResult(
        requests=s.requests, cold_starts=s.cold_starts, cold_start_ratio=s.cold_start_ratio,
        p50_ms=_ms(s.latency_p50_s), p99_ms=_ms(s.latency_p99_s),
        environments_created=s.environments_created, mean_environments=s.mean_environments,
        cost_usd=float(bill.total_usd), duration_s=duration,
        timeline=_timeline(res.records or [], res.environment_events or [], duration),
        parameters=dict(rate=rate, keep_alive=keep_alive, placement=placement, provisioned=provisioned,
                        memory=memory, seed=seed))


def _ms(seconds: float) -> float:
    return float("nan") if seconds is None or not math.isfinite(seconds) else seconds * 1000.0


def _timeline(records, env_events, horizon: float) -> list:
    """Per environment, the (start, end, kind) segments of its life: cold/warm/provisioned runs
    and the idle gaps between them, until it was reclaimed (or the run ended)."""
    born, died, reason = {}, {}, {}
    for e in env_events:
        if e.event == "created":
            born.setdefault(e.environment_id, max(e.time, 0.0))
            reason[e.environment_id] = e.reason
        elif e.event == "reclaimed":
            died[e.environment_id] = e.time
    runs: dict[str, list] = {}
    for r in records:
        if r.environment_id is None:
            continue
        kind = "cold" if r.cold else ("provisioned" if r.initialization_type == "provisioned-concurrency" else "warm")
        runs.setdefault(r.environment_id, []).append((r.start, r.end, kind))
        born.setdefault(r.environment_id, r.start)
    rows = []
    for env in sorted(born, key=lambda e: (born[e], e)):
        segs, t = [], born[env]
        for start, end, kind in sorted(runs.get(env, [])):
            if start > t:
                segs.append((t, start, "idle"))
            segs.append((start, end, kind))
            t = max(t, end)
        end_of_life = min(died.get(env, horizon), horizon)
        if end_of_life > t:
            segs.append((t, end_of_life, "idle"))
        rows.append((env, segs))
    return rows


def draw_cold_starts(result: ColdStartResult, max_rows: int = 30):
    """Environments over time: one row each, red = cold start, green = warm, grey = idle."""
    _plt()
    rows = result.timeline[:max_rows]
    fig, ax = _figure(8, 0.6 + 0.16 * max(len(rows), 4))
    for kind in ("idle", "warm", "provisioned", "cold"):
        for i, (_env, segs) in enumerate(rows):
            spans = [(a, max(b - a, result.duration_s / 800)) for a, b, k in segs if k == kind]
            if spans:
                ax.broken_barh(spans, (i - 0.4, 0.8), color=COLOURS[kind], linewidth=0)
    for kind in ("cold", "warm", "idle", "provisioned"):
        ax.bar(0, 0, color=COLOURS[kind], label=kind)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks([])
    ax.set_xlim(0, result.duration_s)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"environments ({len(result.timeline)})")
    ax.legend(loc="upper right", ncol=4, fontsize=8, frameon=False, bbox_to_anchor=(1, 1.18))
    return fig


def _describe_cold(r: ColdStartResult) -> str:
    return (f"<b>cold-start ratio {r.cold_start_ratio:.1%}</b> ({r.cold_starts} of {r.requests:,} requests) · "
            f"p50 {r.p50_ms:,.0f} ms · <b>p99 {r.p99_ms:,.0f} ms</b> · environments created "
            f"{r.environments_created} · cost of these {r.duration_s / 60:.0f} min {_money(r.cost_usd, 4)}")


def cold_start_explorer(rate: float = 0.5, keep_alive: float = 120.0, placement: str = "newest",
                        provisioned: int = 0, memory: int = 512, seed: int = 1):
    """Sliders for keep-alive, arrival rate, placement, provisioned concurrency and memory over a
    timeline of execution environments (red: cold start, green: warm, grey: idle)."""
    widgets = _w()
    controls = {
        "rate": _slider("float", rate, 0.05, 5.0, 0.05, "rate (req/s in a burst)"),
        "keep_alive": _slider("int", keep_alive, 0, 900, 30, "keep-alive (s)"),
        "placement": widgets.Dropdown(options=["newest", "mru", "lru", "random"], value=placement,
                                      description="placement"),
        "provisioned": _slider("int", provisioned, 0, 10, 1, "provisioned"),
        "memory": widgets.SelectionSlider(options=[128, 256, 512, 1024, 1769, 3008], value=memory,
                                          description="memory (MB)", continuous_update=False),
        "seed": widgets.fixed(seed),
    }
    return _build(controls, explore_cold_starts, draw_cold_starts, _describe_cold,
                  layout=[["rate", "keep_alive", "placement"], ["provisioned", "memory"]])


# ---------------------------------------------------------------------------------------------
# (c) Concurrency: a burst against the account and reserved limits.


@dataclass(frozen=True)
class ConcurrencyResult:
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
    from .sim import Bursty, Constant, simulate

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
    tps = np.bincount(np.array([int(r.start) for r in thr], dtype=int), minlength=int(horizon))[: int(horizon)] \
        if thr else np.zeros(int(horizon), dtype=int)
    s = res.summary
    return ConcurrencyResult(requests=s.requests, throttles=s.throttles, throttle_ratio=s.throttle_ratio,
                             peak_concurrency=int(conc.max()) if conc.size else 0,
                             throttle_reasons=dict(s.throttle_reasons), time=grid, concurrency=conc,
                             throttles_per_s=tps, limit=int(reserved) or int(account_limit))


def draw_concurrency(result: ConcurrencyResult):
    _plt()
    fig, ax = _figure(8, 2.8)
    ax.plot(result.time, result.concurrency, color=COLOURS["warm"], label="concurrent executions")
    ax.axhline(result.limit, color="k", linestyle="--", linewidth=1, label=f"limit {result.limit:,}")
    ax.bar(np.arange(result.throttles_per_s.size) + 0.5, result.throttles_per_s, width=0.9,
           color=COLOURS["throttled"], alpha=0.6, label="429s per second")
    ax.set_xlabel("time (s)")
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    return fig


def _describe_concurrency(r: ConcurrencyResult) -> str:
    reasons = ", ".join(f"{k}: {v:,}" for k, v in r.throttle_reasons.items()) or "none"
    return (f"<b>peak concurrency {r.peak_concurrency:,}</b> (limit {r.limit:,}) · "
            f"<b>throttled {r.throttles:,}</b> of {r.requests:,} ({r.throttle_ratio:.1%}) · reasons: {reasons}")


def concurrency_explorer(burst_rps: float = 400.0, burst_seconds: float = 10.0, duration_ms: float = 2000.0,
                         account_limit: int = 1000, reserved: int = 0, seed: int = 1):
    """A burst against the account limit and the function's reserved concurrency."""
    widgets = _w()
    controls = {
        "burst_rps": _slider("int", burst_rps, 50, 1500, 50, "burst (req/s)"),
        "burst_seconds": _slider("int", burst_seconds, 1, 15, 1, "burst length (s)"),
        "duration_ms": _slider("int", duration_ms, 100, 5000, 100, "duration (ms)"),
        "account_limit": _slider("int", account_limit, 100, 3000, 100, "account limit"),
        "reserved": _slider("int", reserved, 0, 1000, 50, "reserved (0 = none)"),
        "seed": widgets.fixed(seed),
    }
    return _build(controls, explore_concurrency, draw_concurrency, _describe_concurrency,
                  layout=[["burst_rps", "burst_seconds", "duration_ms"], ["account_limit", "reserved"]])


# ---------------------------------------------------------------------------------------------
# (d) Cost: a month's bill.


@dataclass(frozen=True)
class CostResult:
    total_usd: float
    by_category: dict
    table: str
    bill: Any = field(repr=False)


def explore_cost(requests: int = 5_000_000, duration_ms: float = 120.0, memory: int = 512,
                 architecture: str = "x86_64", free_tier: bool = False, cold_start_ratio: float = 0.01,
                 init_ms: float = 400.0, ephemeral_storage_mb: int = 512) -> CostResult:
    """A month's Lambda bill (:func:`minilambda.billing.bill.estimate`) with its line items."""
    from .billing.bill import estimate

    bill = estimate(int(requests), float(duration_ms), int(memory), architecture, free_tier=bool(free_tier),
                    cold_start_ratio=float(cold_start_ratio), init_ms=float(init_ms),
                    ephemeral_storage_mb=int(ephemeral_storage_mb))
    cats = {k: float(v) for k, v in bill.by_category().items()}
    return CostResult(total_usd=float(bill.total_usd), by_category=cats, table=bill.table(), bill=bill)


def draw_cost(result: CostResult):
    _plt()
    fig, ax = _figure(6, 2.4, left=0.2)
    names = list(result.by_category)
    values = [result.by_category[n] for n in names]
    colours = ["#2ca02c" if v < 0 else "#1f77b4" for v in values]
    ax.barh(names, values, color=colours)
    ax.axvline(0, color="k", linewidth=0.8)
    ax.set_xlabel("USD per month")
    ax.set_title(f"total {_money(result.total_usd)}", fontsize=10)
    return fig


def _describe_cost(r: CostResult) -> str:
    import html

    return f"<b>total {_money(r.total_usd)} a month</b><pre style='font-size:80%'>{html.escape(r.table)}</pre>"


def cost_explorer(requests: int = 5_000_000, duration_ms: float = 120.0, memory: int = 512,
                  architecture: str = "x86_64", free_tier: bool = False):
    """Requests, duration, memory, architecture and the free tier -> the bill's line items."""
    widgets = _w()
    controls = {
        "requests": _slider("log", requests, 4, 9, 0.25, "requests/month", readout_format=".3g"),
        "duration_ms": _slider("int", duration_ms, 1, 3000, 1, "duration (ms)"),
        "memory": widgets.SelectionSlider(options=[128, 256, 512, 1024, 1769, 2048, 3008, 4096, 10240],
                                          value=memory, description="memory (MB)", continuous_update=False),
        "architecture": widgets.ToggleButtons(options=["x86_64", "arm64"], value=architecture),
        "free_tier": widgets.Checkbox(value=free_tier, description="free tier"),
    }

    def compute(requests, **kw):
        return explore_cost(int(round(requests)), **kw)

    return _build(controls, compute, draw_cost, _describe_cost,
                  layout=[["requests", "duration_ms", "memory"], ["architecture", "free_tier"]])


# ---------------------------------------------------------------------------------------------
# (e) Power tuning.


def explore_power_tuning(cpu_ms: float = 1000.0, non_cpu_fraction: float = 0.0, threads: int = 1,
                         architecture: str = "x86_64", requests: int = 1_000_000):
    """Duration and cost at each memory size (:func:`minilambda.billing.tuning.power_tuning`)."""
    from .billing.tuning import power_tuning

    return power_tuning(float(cpu_ms), non_cpu_fraction=float(non_cpu_fraction), threads=int(threads),
                        architecture=architecture, requests=int(requests))


def draw_power_tuning(result):
    _plt()
    fig, ax = _figure(7, 2.8, left=0.1, right=0.88)
    mem = [r.memory_mb for r in result.rows]
    ax.plot(mem, [r.duration_ms for r in result.rows], "o-", color="#1f77b4", label="duration (ms)")
    ax.set_xscale("log", base=2)
    ax.set_xticks([128, 256, 512, 1024, 1769, 4096, 10240], ["128", "256", "512", "1024", "1769", "4096", "10240"])
    ax.set_xlabel("memory (MB)")
    ax.set_ylabel("duration (ms)", color="#1f77b4")
    ax2 = ax.twinx()
    ax2.plot(mem, [float(r.cost_usd) for r in result.rows], "s-", color="#d62728", label="cost")
    ax2.set_ylabel(f"USD per {result.requests:,}", color="#d62728")
    ax2.axvline(result.cheapest.memory_mb, color="#d62728", linestyle=":", linewidth=1)
    return fig


def _describe_tuning(r) -> str:
    c, f = r.cheapest, r.fastest
    return (f"<b>cheapest: {c.memory_mb:,} MB</b> ({c.duration_ms:,.0f} ms, {_money(c.cost_usd)} per "
            f"{r.requests:,}) · <b>fastest: {f.memory_mb:,} MB</b> ({f.duration_ms:,.0f} ms, {_money(f.cost_usd)})")


def power_tuning_explorer(cpu_ms: float = 1000.0, non_cpu_fraction: float = 0.0, threads: int = 1):
    """How a function's duration and cost change with memory, for CPU-bound and waiting work."""
    widgets = _w()
    controls = {
        "cpu_ms": _slider("int", cpu_ms, 10, 5000, 10, "duration at 1,769 MB (ms)"),
        "non_cpu_fraction": _slider("float", non_cpu_fraction, 0.0, 1.0, 0.05, "share waiting on I/O"),
        "threads": _slider("int", threads, 1, 6, 1, "threads"),
        "architecture": widgets.ToggleButtons(options=["x86_64", "arm64"], value="x86_64"),
    }
    return _build(controls, explore_power_tuning, draw_power_tuning, _describe_tuning,
                  layout=[["cpu_ms", "non_cpu_fraction"], ["threads", "architecture"]])


# ---------------------------------------------------------------------------------------------
# (f) Serverless versus an always-on server.


@dataclass(frozen=True)
class BreakEvenResult:
    requests_per_second: float
    lambda_usd: float
    server_usd: float
    instances: int
    cheaper: str
    break_even_rps: float | None
    rates: np.ndarray = field(repr=False)
    lambda_curve: np.ndarray = field(repr=False)
    server_curve: np.ndarray = field(repr=False)


def explore_break_even(requests_per_second: float = 5.0, duration_ms: float = 100.0, memory: int = 512,
                       instance_hourly_usd: float = 0.0416, instance_capacity_rps: float = 50.0,
                       min_instances: int = 2, architecture: str = "x86_64") -> BreakEvenResult:
    """A month of steady traffic on Lambda and on always-on instances (default: two t3.medium-
    sized instances at $0.0416 an hour for availability, each serving 50 requests/s)."""
    from .billing.compare import server_comparison

    kw = dict(instance_hourly_usd=float(instance_hourly_usd), instance_capacity_rps=float(instance_capacity_rps),
              min_instances=int(min_instances), architecture=architecture)
    cmp = server_comparison(float(requests_per_second), float(duration_ms), int(memory), **kw)
    per_request = float(cmp.lambda_usd) / cmp.monthly_requests if cmp.monthly_requests else \
        float(server_comparison(1.0, float(duration_ms), int(memory), **kw).lambda_usd) / (730 * 3600)
    top = max(4 * float(requests_per_second), 2 * (cmp.break_even_rps or 0), 1.0)
    rates = np.linspace(0, top, 200)
    lam = rates * 730 * 3600 * per_request
    servers = np.maximum(int(min_instances), np.ceil(rates / float(instance_capacity_rps))) \
        * float(instance_hourly_usd) * 730
    return BreakEvenResult(requests_per_second=float(requests_per_second), lambda_usd=float(cmp.lambda_usd),
                           server_usd=float(cmp.server_usd), instances=cmp.instances, cheaper=cmp.cheaper,
                           break_even_rps=cmp.break_even_rps, rates=rates, lambda_curve=lam, server_curve=servers)


def draw_break_even(result: BreakEvenResult):
    _plt()
    fig, ax = _figure(7, 2.8, left=0.1, right=0.88)
    ax.plot(result.rates, result.lambda_curve, color="#ff7f0e", label="Lambda")
    ax.step(result.rates, result.server_curve, color="#1f77b4", where="post", label="always-on servers")
    ax.axvline(result.requests_per_second, color="k", linestyle=":", linewidth=1, label="your traffic")
    ax.set_xlabel("requests per second (steady, all month)")
    ax.set_ylabel("USD per month")
    ax.legend(fontsize=8, frameon=False)
    return fig


def _describe_break_even(r: BreakEvenResult) -> str:
    be = "never" if r.break_even_rps is None else f"{r.break_even_rps:,.1f} req/s"
    return (f"Lambda {_money(r.lambda_usd)} · servers {_money(r.server_usd)} ({r.instances} instances) · "
            f"<b>cheaper: {r.cheaper}</b> · break-even at {be}")


def server_vs_serverless(requests_per_second: float = 5.0, duration_ms: float = 100.0, memory: int = 512):
    """Monthly cost of the same steady traffic on Lambda and on always-on servers."""
    widgets = _w()
    controls = {
        "requests_per_second": _slider("log", requests_per_second, -2, 3, 0.1, "req/s", readout_format=".3g"),
        "duration_ms": _slider("int", duration_ms, 10, 2000, 10, "duration (ms)"),
        "memory": widgets.SelectionSlider(options=[128, 256, 512, 1024, 2048], value=memory,
                                          description="memory (MB)", continuous_update=False),
        "instance_hourly_usd": _slider("float", 0.0416, 0.005, 0.5, 0.0005, "server $/h",
                                       readout_format=".4f"),
        "instance_capacity_rps": _slider("int", 50, 5, 500, 5, "req/s per server"),
    }
    return _build(controls, explore_break_even, draw_break_even, _describe_break_even,
                  layout=[["requests_per_second", "duration_ms", "memory"],
                          ["instance_hourly_usd", "instance_capacity_rps"]])


# ---------------------------------------------------------------------------------------------
# (a) Events: what each trigger hands a function, through a real invocation.

ECHO_HANDLER = '''\
import json


def handler(event, context):
    """Echo the event and the interesting parts of the context."""
    print("received a", type(event).__name__, "with keys", sorted(event)[:6] if isinstance(event, dict) else "-")
    return {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_time_in_millis": context.get_remaining_time_in_millis(),
        },
    }
'''

EVENT_SOURCES = ("API Gateway REST (v1)", "API Gateway HTTP (v2)", "S3", "SQS", "SNS", "EventBridge schedule")


def make_event(source: str, seed: int = 1, time: float = 1_767_225_600.0) -> dict:
    """The event AWS would hand a function for *source* (one of :data:`EVENT_SOURCES`)."""
    from . import payloads as ev

    rng = random.Random(seed)
    if source == EVENT_SOURCES[0]:
        return ev.api_gateway_rest_event("POST", "/orders", body='{"item": "book"}', rng=rng, time=time)
    if source == EVENT_SOURCES[1]:
        return ev.api_gateway_http_event("GET", "/orders/42", rng=rng, time=time)
    if source == EVENT_SOURCES[2]:
        return ev.s3_event("uploads", "photos/cat 1.jpg", size=1024, rng=rng, time=time)
    if source == EVENT_SOURCES[3]:
        return ev.sqs_event(["order 1", "order 2"], queue_arn="arn:aws:sqs:us-east-1:123456789012:orders",
                            rng=rng, time=time)
    if source == EVENT_SOURCES[4]:
        return ev.sns_event("hello subscribers", rng=rng, time=time)
    if source == EVENT_SOURCES[5]:
        return ev.scheduled_event(rng=rng, time=time)
    msg = f"unknown event source {source!r}; pick one of {EVENT_SOURCES}"
    raise ValueError(msg)


def ensure_echo(cloud, name: str = "event-echo") -> str:
    """Create the echo function in *cloud* unless it exists; returns its name."""
    from .lambda_.code import zip_files

    lam = cloud.client("lambda")
    try:
        lam.get_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler",
                            Role="arn:aws:iam::123456789012:role/lambda-role",
                            Code={"ZipFile": zip_files({"app.py": ECHO_HANDLER})})
    return name


def invoke_with_event(cloud, source: str, function_name: str = "event-echo", seed: int = 1) -> dict:
    """Invoke the echo function with *source*'s event; returns the event, the context the
    handler saw and the log lines of that invocation (``LogType="Tail"``)."""
    ensure_echo(cloud, function_name)
    event = make_event(source, seed=seed)
    lam = cloud.client("lambda")
    resp = lam.invoke(FunctionName=function_name, Payload=json.dumps(event).encode(), LogType="Tail")
    body = json.loads(resp["Payload"].read() or b"null")
    log = base64.b64decode(resp.get("LogResult", "")).decode("utf-8", "replace")
    return {"source": source, "event": event, "status": resp["StatusCode"],
            "context": body.get("context") if isinstance(body, dict) else body,
            "log": log.rstrip("\n").splitlines()}


def _pre(text: str) -> str:
    import html

    return f"<pre style='font-size:78%;max-height:320px;overflow:auto'>{html.escape(text)}</pre>"


def event_explorer(cloud, function_name: str = "event-echo", seed: int = 1):
    """Pick an event source; see the exact event, the context and the log of a real invocation."""
    widgets = _w()
    global Explorer
    if Explorer is None:
        Explorer = _explorer_class()
    pick = widgets.ToggleButtons(options=EVENT_SOURCES, value=EVENT_SOURCES[0], description="source")
    event_html, context_html, log_html, summary = widgets.HTML(), widgets.HTML(), widgets.HTML(), widgets.HTML()
    box = Explorer()
    box.controls, box.summary, box.result, box.redraw_ms = {"source": pick}, summary, None, 0.0

    def update(change=None):
        t0 = time.perf_counter()
        r = invoke_with_event(cloud, pick.value, function_name, seed)
        box.result = r
        event_html.value = "<b>event</b>" + _pre(json.dumps(r["event"], indent=2))
        context_html.value = "<b>context</b>" + _pre(json.dumps(r["context"], indent=2))
        log_html.value = "<b>log</b>" + _pre("\n".join(r["log"]))
        summary.value = (f"StatusCode {r['status']} · event keys: "
                         f"{', '.join(list(r['event'])[:8])}")
        box.redraw_ms = (time.perf_counter() - t0) * 1000.0

    pick.observe(update, names="value")
    update()
    box.children = (pick, summary, widgets.HBox([event_html, widgets.VBox([context_html, log_html])]))
    return box


# ---------------------------------------------------------------------------------------------
# (g) Failure paths: where each asynchronous or queued event ended.


@dataclass(frozen=True)
class FailurePaths:
    """Per event: its attempts (time, outcome) and where it ended."""

    rows: list  # (event id, [(time, what)], final)
    finals: dict  # final -> count


_FINALS = {"success": "success", "destination": "destination", "dead-letter": "dlq", "dropped": "dropped"}
_SHOWN = ("accepted", "attempt", "throttled", "retry-scheduled", "success", "destination", "dead-letter", "dropped")


def failure_paths(records) -> FailurePaths:
    """Group asynchronous-invocation records (``cloud.records.events``: ``AsyncRecord`` rows with
    *time*, *request_id* and *step*) by event, and find where each event ended: ``success``,
    an on-failure ``destination``, a ``dlq`` (dead-letter queue), ``dropped``, or still
    ``retrying``. Event-source-mapping batch records are ignored.
    """
    by: dict[str, list] = {}
    for rec in records:
        d = rec if isinstance(rec, dict) else {k: getattr(rec, k, None) for k in ("time", "request_id", "step")}
        if d.get("step") not in _SHOWN or not d.get("request_id"):
            continue
        by.setdefault(d["request_id"], []).append((float(d["time"]), d["step"]))
    rows, finals = [], {}
    for key, steps in by.items():
        final = next((_FINALS[s] for _, s in reversed(steps) if s in _FINALS), "retrying")
        rows.append((key, steps, final))
        finals[final] = finals.get(final, 0) + 1
    return FailurePaths(rows=rows, finals=finals)


def draw_failure_paths(paths: FailurePaths, max_rows: int = 25):
    _plt()
    rows = paths.rows[:max_rows]
    fig, ax = _figure(8, 0.6 + 0.25 * max(len(rows), 3))
    colour = {"success": "#2ca02c", "destination": "#1f77b4", "dlq": "#9467bd", "dropped": "#7f7f7f",
              "retrying": "#ff7f0e"}
    t0 = min((s[0][0] for _, s, _ in rows), default=0.0)
    for i, (_key, steps, final) in enumerate(rows):
        ts = [t - t0 for t, _ in steps]
        ax.plot(ts, [i] * len(ts), "-", color="#bbbbbb", zorder=1)
        tries = [t - t0 for t, what in steps if what == "attempt"]
        ax.scatter(tries, [i] * len(tries), color="#d62728", s=18, zorder=2)
        ax.scatter(ts[-1:], [i], color=colour[final], s=40, marker="s", zorder=3)
    for name, c in colour.items():
        ax.scatter([], [], color=c, marker="s", label=name)
    ax.set_yticks(range(len(rows)), [k[:12] for k, _, _ in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("seconds after the first event")
    ax.legend(fontsize=8, frameon=False, ncol=5, loc="upper right", bbox_to_anchor=(1, 1.25))
    return fig


def failure_path_timeline(records):
    """A timeline of each event's attempts (red dots) ending in a square coloured by where it ended."""
    widgets = _w()
    global Explorer
    if Explorer is None:
        Explorer = _explorer_class()
    paths = failure_paths(records)
    summary = widgets.HTML(" · ".join(f"<b>{k}</b>: {v}" for k, v in sorted(paths.finals.items())))
    out = widgets.Output()
    box = Explorer(children=(summary, out))
    box.controls, box.summary, box.result, box.redraw_ms = {}, summary, paths, 0.0
    with out:
        plt = _plt()
        fig = draw_failure_paths(paths)
        plt.show()
        plt.close(fig)
    return box
