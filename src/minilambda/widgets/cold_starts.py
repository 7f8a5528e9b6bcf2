"""Cold starts: keep-alive, placement, provisioned concurrency and memory, on bursty traffic."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._model import ms

MAX_ROWS = 80
PLACEMENTS = ("newest", "mru", "lru", "random")
MEMORY_SIZES = (128, 256, 512, 1024, 1769, 3008)


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
    provisioned concurrency included (billed in 5-minute units, as AWS does).
    """
    from ..billing.bill import Provisioned, bill_summary
    from ..sim import Bursty, Constant, DurationModel, LogNormal, simulate

    res = simulate(arrivals=Bursty(rate, on=burst_on, off=burst_off), warm=LogNormal.from_mean_cv(warm_ms / 1000.0, 0.5),
                   init=Constant(init_ms / 1000.0), keep_alive=keep_alive, duration=duration, seed=seed,
                   placement=placement, memory_mb=int(memory), provisioned=int(provisioned), keep_records=True,
                   duration_model=DurationModel(cpu_bound_fraction=cpu_bound))
    s = res.summary
    bill = bill_summary(s, provisioned=Provisioned(int(provisioned), seconds=duration) if provisioned else None)
    return ColdStartResult(
        requests=s.requests, cold_starts=s.cold_starts, cold_start_ratio=s.cold_start_ratio,
        p50_ms=ms(s.latency_p50_s), p99_ms=ms(s.latency_p99_s),
        environments_created=s.environments_created, mean_environments=s.mean_environments,
        cost_usd=float(bill.total_usd), duration_s=duration,
        timeline=timeline(res.records or [], res.environment_events or [], duration),
        parameters=dict(rate=rate, keep_alive=keep_alive, placement=placement, provisioned=provisioned,
                        memory=memory, seed=seed))


def timeline(records, env_events, horizon: float) -> list:
    """Per environment, the (start, end, kind) segments of its life: cold/warm/provisioned runs
    and the idle gaps between them, until it was reclaimed (or the run ended)."""
    born, died = {}, {}
    for e in env_events:
        if e.event == "created":
            born.setdefault(e.environment_id, max(e.time, 0.0))
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


def draw_cold_starts(result: ColdStartResult, max_rows: int = MAX_ROWS):
    """Environments over time, one row each: grey idle, green warm, blue provisioned, and a red
    tick at every cold start (a 1 s INIT would be a sliver on a 30-minute axis)."""
    from ._shell import COLOURS, figure

    rows = result.timeline[:max_rows]
    fig, ax = figure(8, 3.3, left=0.08, right=0.98, bottom=0.15, top=0.8)
    drawn = []
    for kind in ("idle", "warm", "provisioned"):
        spans_by_row = [[(a, b - a) for a, b, k in segs if k == kind] for _env, segs in rows]
        for i, spans in enumerate(spans_by_row):
            if spans:
                ax.broken_barh(spans, (i - 0.4, 0.8), color=COLOURS[kind], linewidth=0)
        if any(spans_by_row):
            drawn.append(kind)
    colds = [(a, i) for i, (_env, segs) in enumerate(rows) for a, _b, k in segs if k == "cold"]
    if colds:
        ax.scatter([a for a, _ in colds], [i for _, i in colds], marker="|", s=60, linewidths=2,
                   color=COLOURS["cold"], zorder=3)
        drawn.append("cold")
    for kind in ("cold", "warm", "provisioned", "idle"):
        if kind in drawn:
            label = "cold start (INIT)" if kind == "cold" else kind
            if kind == "cold":
                ax.scatter([], [], marker="|", s=60, linewidths=2, color=COLOURS[kind], label=label)
            else:
                ax.bar(0, 0, color=COLOURS[kind], label=label)
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
    ax.set_yticks([])
    ax.set_xlim(0, result.duration_s)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("environment (one row each)")
    shown = "" if len(result.timeline) <= max_rows else f" · first {max_rows} of {len(result.timeline)} shown"
    ax.set_title(f"{len(result.timeline)} environments, {result.mean_environments:.1f} alive on average{shown}",
                 fontsize=9, loc="left", pad=4)
    if drawn:
        fig.legend(loc="upper right", ncol=4, fontsize=8, frameon=False, bbox_to_anchor=(0.98, 0.995))
    return fig


def describe_cold_starts(r: ColdStartResult) -> str:
    """The summary line."""
    from ._shell import money

    return (f"<b>cold-start ratio {r.cold_start_ratio:.1%}</b> ({r.cold_starts} of {r.requests:,} requests) · "
            f"p50 {r.p50_ms:,.0f} ms · <b>p99 {r.p99_ms:,.0f} ms</b> · environments created "
            f"{r.environments_created} · <b>{r.mean_environments:.1f} alive on average</b> · "
            f"cost of these {r.duration_s / 60:.0f} min {money(r.cost_usd, 4)}")


def cold_start_explorer(rate: float = 0.5, keep_alive: float = 120.0, placement: str = "newest",
                        provisioned: int = 0, memory: int = 512, seed: int = 1):
    """Sliders for keep-alive, arrival rate, placement, provisioned concurrency and memory over a
    timeline of execution environments."""
    import ipywidgets as widgets

    from ._shell import build, dropdown, selection, slider

    controls = {
        "rate": slider("float", rate, 0.05, 5.0, 0.05, "rate (req/s in a burst)"),
        "keep_alive": slider("int", keep_alive, 0, 900, 30, "keep-alive (s)"),
        "placement": dropdown(PLACEMENTS, placement, "placement"),
        "provisioned": slider("int", provisioned, 0, 10, 1, "provisioned (envs)"),
        "memory": selection(MEMORY_SIZES, memory, "memory (MB)"),
        "seed": widgets.fixed(seed),
    }
    return build(controls, explore_cold_starts, draw_cold_starts, describe_cold_starts,
                 layout=[["rate", "keep_alive", "placement"], ["provisioned", "memory"]])


__all__ = ["ColdStartResult", "explore_cold_starts", "draw_cold_starts", "cold_start_explorer"]
