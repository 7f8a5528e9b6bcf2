"""Module 01 explorers: one small shop as a monolith and as microservices.

Three questions, each a pure model of the same shop (four features with their own traffic,
duration, memory and INIT):

* :func:`explore_spike`: one feature's traffic spikes; what scales and what it costs.
* :func:`explore_blast_radius`: the payment provider is down; which requests fail.
* :func:`explore_chain`: a chain of synchronous calls; latency and billed time per hop count.

Simplification: these are fluid models (Little's law: concurrency = rate x duration), not request-
by-request simulations; the notebook runs the real thing on a ``Cloud`` next to each of them.
AWS: https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..billing.bill import estimate
from . import _shell

__all__ = [
    "Feature", "SHOP", "monolith_of",
    "SpikeResult", "explore_spike", "draw_spike", "spike_explorer",
    "BlastRadiusResult", "explore_blast_radius", "draw_blast_radius", "blast_radius_explorer",
    "ChainResult", "explore_chain", "draw_chain", "chain_explorer",
    "draw_shop",
]

SECONDS_PER_DAY = 86_400
ARCHITECTURES = ("monolith", "services", "services + queue")


@dataclass(frozen=True)
class Feature:
    """One feature of the shop: its traffic and what one request of it needs."""

    name: str
    rps: float  # mean requests per second over the day
    duration_ms: float
    memory_mb: int
    init_ms: float


SHOP: tuple[Feature, ...] = (
    Feature("browse", 20.0, 40.0, 256, 200.0),
    Feature("search", 5.0, 300.0, 1024, 900.0),
    Feature("cart", 3.0, 60.0, 256, 200.0),
    Feature("checkout", 1.0, 400.0, 512, 500.0),
)


def monolith_of(features: tuple[Feature, ...] = SHOP) -> tuple[int, float]:
    """The monolith's memory (the hungriest feature's) and INIT (every feature's imports)."""
    return max(f.memory_mb for f in features), sum(f.init_ms for f in features)


def _by_name(name: str, features: tuple[Feature, ...]) -> Feature:
    for f in features:
        if f.name == name:
            return f
    msg = f"no feature named {name!r}; choose one of {', '.join(f.name for f in features)}"
    raise ValueError(msg)


# ---------------------------------------------------------------------------------------------
# A traffic spike on one feature.


@dataclass(frozen=True)
class SpikeResult:
    """A day of shop traffic with one feature spiking, priced as a monolith and as services."""

    spike_feature: str
    spike_factor: float
    features: tuple[str, ...]
    requests: dict[str, int]
    services_usd: dict[str, float]  # per function
    monolith_usd: dict[str, float]  # the monolith's bill, split by the feature that caused it
    services_peak_concurrency: dict[str, float]
    monolith_peak_concurrency: float
    services_peak_memory_gb: float  # memory held by busy environments at the peak
    monolith_peak_memory_gb: float
    monolith_memory_mb: int

    @property
    def services_total(self) -> float:
        return sum(self.services_usd.values())

    @property
    def monolith_total(self) -> float:
        return sum(self.monolith_usd.values())


def explore_spike(spike_feature: str = "browse", spike_factor: float = 10.0, spike_hours: float = 2.0,
                  features: tuple[Feature, ...] = SHOP) -> SpikeResult:
    """One day: *spike_feature* gets *spike_factor* times its traffic for *spike_hours* hours.

    The monolith runs every request at its single memory size (the largest feature's), so every
    environment it adds for the spike is that large; services scale only the spiking function.
    INIT is left out (both architectures start few environments over a day).
    """
    if spike_factor < 1 or not 0 <= spike_hours <= 24:
        msg = f"spike_factor must be >= 1 and spike_hours within 0..24, got {spike_factor}, {spike_hours}"
        raise ValueError(msg)
    spiking = _by_name(spike_feature, features)
    mono_mb, _ = monolith_of(features)
    requests, svc, mono, peak = {}, {}, {}, {}
    for f in features:
        factor = spike_factor if f is spiking else 1.0
        n = round(f.rps * (SECONDS_PER_DAY + (factor - 1) * spike_hours * 3600))
        requests[f.name] = n
        svc[f.name] = float(estimate(n, f.duration_ms, f.memory_mb).total_usd)
        mono[f.name] = float(estimate(n, f.duration_ms, mono_mb).total_usd)
        peak[f.name] = f.rps * factor * f.duration_ms / 1000.0
    mono_peak = sum(peak.values())
    return SpikeResult(
        spike_feature=spike_feature, spike_factor=spike_factor, features=tuple(f.name for f in features),
        requests=requests, services_usd=svc, monolith_usd=mono, services_peak_concurrency=peak,
        monolith_peak_concurrency=mono_peak,
        services_peak_memory_gb=sum(peak[f.name] * f.memory_mb for f in features) / 1024,
        monolith_peak_memory_gb=mono_peak * mono_mb / 1024, monolith_memory_mb=mono_mb)


def draw_spike(result: SpikeResult):
    """Daily cost per feature (left) and memory held at the peak (right)."""
    fig, (left, right) = _shell.figure(9, 3.2, ncols=2)
    x = range(len(result.features))
    left.bar([i - 0.2 for i in x], [result.monolith_usd[n] for n in result.features], 0.4,
             label=f"monolith ({result.monolith_memory_mb} MB)", color="#d62728")
    left.bar([i + 0.2 for i in x], [result.services_usd[n] for n in result.features], 0.4,
             label="microservices", color="#2ca02c")
    left.set_xticks(list(x), result.features)
    left.set_ylabel("USD per day")
    left.set_title(f"Daily cost, {result.spike_feature} x{result.spike_factor:g}")
    left.legend(fontsize=8, frameon=False)
    right.bar(["monolith", "microservices"], [result.monolith_peak_memory_gb, result.services_peak_memory_gb],
              color=["#d62728", "#2ca02c"])
    right.set_ylabel("GB of memory in busy environments")
    right.set_title("Memory at the peak")
    return fig


def _describe_spike(r: SpikeResult) -> str:
    c = r.services_peak_concurrency
    return (f"Peak concurrency: monolith {r.monolith_peak_concurrency:,.0f} environments of "
            f"{r.monolith_memory_mb} MB · services " + ", ".join(f"{n} {c[n]:,.0f}" for n in r.features)
            + f" · <b>per day: monolith {_shell.money(r.monolith_total)}, services "
            f"{_shell.money(r.services_total)}</b>")


def spike_explorer(spike_feature: str = "browse", spike_factor: float = 10.0, spike_hours: float = 2.0):
    """Sliders for the spike: which feature, how much, how long."""
    w = _shell.widgets_module()
    controls = {
        "spike_feature": w.ToggleButtons(options=[f.name for f in SHOP], value=spike_feature,
                                         description="spiking"),
        "spike_factor": _shell.slider("float", spike_factor, 1, 50, 1, "traffic x"),
        "spike_hours": _shell.slider("float", spike_hours, 0, 12, 0.5, "for (hours)"),
    }
    return _shell.build(controls, explore_spike, draw_spike, _describe_spike,
                        layout=[["spike_feature"], ["spike_factor", "spike_hours"]])


# ---------------------------------------------------------------------------------------------
# A failing dependency: blast radius with and without a queue.


@dataclass(frozen=True)
class BlastRadiusResult:
    """Requests that failed while the payment provider was down, per architecture and feature."""

    outage_minutes: float
    timeout_s: float
    failed: dict[str, dict[str, int]]  # architecture -> feature -> failed requests
    delayed_orders: int  # orders that waited in the queue (services + queue)
    monolith_concurrency_needed: float
    concurrency_limit: int

    def failed_total(self, architecture: str) -> int:
        return sum(self.failed[architecture].values())


def explore_blast_radius(outage_minutes: float = 10.0, timeout_s: float = 10.0, concurrency_limit: int = 40,
                         checkout_rps: float = 5.0, features: tuple[Feature, ...] = SHOP) -> BlastRadiusResult:
    """The payment provider (called by checkout) is down for *outage_minutes*.

    * monolith: one function, *concurrency_limit* environments. Each checkout now waits
      *timeout_s* before failing (*checkout_rps* orders a second), holding an environment;
      when the monolith needs more environments than the limit, Lambda throttles requests of *every* feature alike.
    * services: each function has its own limit (the same total, split in proportion to normal
      need, at least 10 each); only checkout fails.
    * services + queue: checkout writes the order to a queue and answers at once; a worker retries
      the payment after the outage. No user-facing failure; the orders are late.
    """
    if outage_minutes < 0 or timeout_s <= 0 or concurrency_limit < 1:
        msg = "outage_minutes >= 0, timeout_s > 0 and concurrency_limit >= 1, please"
        raise ValueError(msg)
    seconds = outage_minutes * 60
    checkout = dataclasses.replace(_by_name("checkout", features), rps=checkout_rps)
    features = tuple(checkout if f.name == "checkout" else f for f in features)
    need = {f.name: f.rps * (timeout_s if f is checkout else f.duration_ms / 1000) for f in features}
    total_need = sum(need.values())
    throttled = max(0.0, 1 - concurrency_limit / total_need) if total_need else 0.0
    mono = {f.name: (round(f.rps * seconds) if f is checkout else round(f.rps * seconds * throttled))
            for f in features}
    services = {f.name: (round(f.rps * seconds) if f is checkout else 0) for f in features}
    queued = {f.name: 0 for f in features}
    return BlastRadiusResult(outage_minutes=outage_minutes, timeout_s=timeout_s,
                             failed={"monolith": mono, "services": services, "services + queue": queued},
                             delayed_orders=round(checkout.rps * seconds), monolith_concurrency_needed=total_need,
                             concurrency_limit=concurrency_limit)


def draw_blast_radius(result: BlastRadiusResult):
    """Failed requests per feature, one group of bars per architecture."""
    fig, ax = _shell.figure(7, 3)
    names = list(next(iter(result.failed.values())))
    colours = ("#d62728", "#ff7f0e", "#2ca02c")
    for k, (arch, colour) in enumerate(zip(ARCHITECTURES, colours)):
        bars = ax.bar([i + (k - 1) * 0.27 for i in range(len(names))], [result.failed[arch][n] for n in names], 0.27,
                      label=arch, color=colour)
        ax.bar_label(bars, fontsize=7)  # a zero is written, so every series in the legend is visible
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("failed requests")
    ax.set_title(f"Payment down {result.outage_minutes:g} min: who fails?")
    ax.legend(fontsize=8, frameon=False)
    return fig


def _describe_blast(r: BlastRadiusResult) -> str:
    parts = [f"{a}: {r.failed_total(a):,} failed" for a in ARCHITECTURES]
    return (" · ".join(parts) + f" · the monolith needs {r.monolith_concurrency_needed:,.0f} of "
            f"{r.concurrency_limit} environments · {r.delayed_orders:,} orders wait in the queue")


def blast_radius_explorer(outage_minutes: float = 10.0, timeout_s: float = 10.0, concurrency_limit: int = 40,
                          checkout_rps: float = 5.0):
    """Sliders for the outage, the payment call's timeout, the order rate and the concurrency limit."""
    controls = {
        "checkout_rps": _shell.slider("float", checkout_rps, 0.5, 20, 0.5, "orders/s"),
        "outage_minutes": _shell.slider("float", outage_minutes, 0, 60, 1, "outage (min)"),
        "timeout_s": _shell.slider("float", timeout_s, 0.5, 30, 0.5, "payment timeout (s)"),
        "concurrency_limit": _shell.slider("int", concurrency_limit, 10, 500, 10, "concurrency limit"),
    }
    return _shell.build(controls, explore_blast_radius, draw_blast_radius, _describe_blast,
                        layout=[["outage_minutes", "timeout_s"], ["checkout_rps", "concurrency_limit"]])


# ---------------------------------------------------------------------------------------------
# A chain of synchronous calls.


@dataclass(frozen=True)
class ChainResult:
    """Latency and billed time of a request crossing 1..max_hops functions, synchronously or not."""

    hop_ms: float
    overhead_ms: float
    hops: tuple[int, ...]
    latency_ms: tuple[float, ...]  # what the user waits for, synchronous chain
    billed_ms_sync: tuple[float, ...]  # billed milliseconds of one request, all functions together
    billed_ms_async: tuple[float, ...]
    usd_per_million_sync: tuple[float, ...]
    usd_per_million_async: tuple[float, ...]
    chosen: int = 0


def explore_chain(hops: int = 4, hop_ms: float = 50.0, overhead_ms: float = 5.0, memory: int = 512,
                  max_hops: int = 8) -> ChainResult:
    """Function 1 calls 2, which calls 3 ... *hops* deep; each does *hop_ms* of its own work.

    Synchronously, each caller is billed while it waits, so function i runs
    (hops - i + 1) x (hop_ms + overhead_ms): billed time grows with the square of the depth.
    With a queue between them each function is billed for its own work only.
    """
    if not 1 <= hops <= max_hops:
        msg = f"hops must be between 1 and {max_hops}, got {hops}"
        raise ValueError(msg)
    depth = tuple(range(1, max_hops + 1))
    step = hop_ms + overhead_ms
    latency = tuple(n * step for n in depth)
    sync = tuple(sum(k * step for k in range(1, n + 1)) for n in depth)
    asyn = tuple(n * hop_ms for n in depth)

    def per_million(durations: list[float]) -> float:
        return sum(float(estimate(1_000_000, d, memory).total_usd) for d in durations)

    usd_sync = tuple(per_million([k * step for k in range(1, n + 1)]) for n in depth)
    usd_async = tuple(per_million([hop_ms] * n) for n in depth)
    return ChainResult(hop_ms=hop_ms, overhead_ms=overhead_ms, hops=depth, latency_ms=latency,
                       billed_ms_sync=sync, billed_ms_async=asyn, usd_per_million_sync=usd_sync,
                       usd_per_million_async=usd_async, chosen=hops)


def draw_chain(result: ChainResult):
    """Cost per million requests (left) and user-facing latency (right) against chain depth."""
    fig, (left, right) = _shell.figure(9, 3, ncols=2)
    left.plot(result.hops, result.usd_per_million_sync, "o-", color="#d62728", label="synchronous chain")
    left.plot(result.hops, result.usd_per_million_async, "o-", color="#2ca02c", label="queue between hops")
    left.axvline(result.chosen, color="k", linestyle=":", linewidth=1)
    left.set_xlabel("functions in the chain")
    left.set_ylabel("USD per million requests")
    left.set_title("Cost of a chain")
    left.legend(fontsize=8, frameon=False)
    right.plot(result.hops, result.latency_ms, "o-", color="#1f77b4", label="user waits (sync)")
    right.axhline(result.hop_ms + result.overhead_ms, color="#2ca02c", linestyle="--", label="user waits (queue)")
    right.axvline(result.chosen, color="k", linestyle=":", linewidth=1)
    right.set_xlabel("functions in the chain")
    right.set_ylabel("latency (ms)")
    right.set_title("Latency of a chain")
    right.legend(fontsize=8, frameon=False)
    return fig


def _describe_chain(r: ChainResult) -> str:
    i = r.chosen - 1
    return (f"{r.chosen} hops: the user waits {r.latency_ms[i]:,.0f} ms; billed {r.billed_ms_sync[i]:,.0f} ms "
            f"per request synchronously vs {r.billed_ms_async[i]:,.0f} ms with queues · <b>per million: "
            f"{_shell.money(r.usd_per_million_sync[i])} vs {_shell.money(r.usd_per_million_async[i])}</b>")


def chain_explorer(hops: int = 4, hop_ms: float = 50.0, memory: int = 512):
    """Sliders for the chain's depth, each hop's work and the memory size."""
    w = _shell.widgets_module()
    controls = {
        "hops": _shell.slider("int", hops, 1, 8, 1, "hops"),
        "hop_ms": _shell.slider("float", hop_ms, 5, 500, 5, "work per hop (ms)"),
        "memory": w.SelectionSlider(options=[128, 256, 512, 1024, 2048], value=memory, description="memory (MB)",
                                    continuous_update=False),
    }
    return _shell.build(controls, explore_chain, draw_chain, _describe_chain)


# ---------------------------------------------------------------------------------------------
# The architecture diagram (used in the notebook and its slides).


def _box(ax, x: float, y: float, text: str, colour: str, width: float = 1.6) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.3), width, 0.6, boxstyle="round,pad=0.05",
                                facecolor=colour, edgecolor="#333333"))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax, a: tuple[float, float], b: tuple[float, float]) -> None:
    ax.annotate("", xy=b, xytext=a, arrowprops={"arrowstyle": "->", "color": "#333333"})


def draw_shop():
    """The shop twice: one function routing everything, and functions + a queue + a topic."""
    fig, (left, right) = _shell.figure(10, 3.6, ncols=2)
    for ax in (left, right):
        ax.set_xlim(0, 8)
        ax.set_ylim(0, 5)
        ax.axis("off")
    left.set_title("Monolith: one function, one database")
    _box(left, 4, 4.4, "client", "#eeeeee")
    _box(left, 4, 2.7, "shop function\nbrowse · search · cart · checkout", "#f4cccc", width=4.4)
    _box(left, 4, 0.8, "one database", "#d9d9d9")
    _arrow(left, (4, 4.05), (4, 3.05))
    _arrow(left, (4, 2.35), (4, 1.15))
    right.set_title("Microservices: functions + a queue + a topic")
    _box(right, 4, 4.4, "client", "#eeeeee")
    for x, name in zip((1, 3, 5, 7), ("browse", "search", "cart", "checkout")):
        _box(right, x, 3.0, name, "#d9ead3", width=1.5)
        _arrow(right, (4, 4.05), (x, 3.35))
    _box(right, 7, 1.8, "orders queue", "#fff2cc", width=1.7)
    _box(right, 7, 0.6, "payment worker", "#d9ead3", width=1.7)
    _box(right, 4, 0.6, "order-placed topic", "#cfe2f3", width=2.2)
    _box(right, 1, 0.6, "email", "#d9ead3", width=1.4)
    _arrow(right, (7, 2.65), (7, 2.15))
    _arrow(right, (7, 1.45), (7, 0.95))
    _arrow(right, (6.1, 0.6), (5.15, 0.6))
    _arrow(right, (2.85, 0.6), (1.75, 0.6))
    return fig

