"""Blast radius (module 01): the payment provider is down; which requests fail, per architecture.

A fluid model (Little's law), not a request-by-request simulation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ._shop import SHOP, Feature, _by_name

ARCHITECTURES = ("monolith", "services", "services + queue")


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
    from . import _shell

    fig, ax = _shell.figure(7, 3, left=0.13)
    names = list(next(iter(result.failed.values())))
    colours = ("#d62728", "#ff7f0e", "#2ca02c")
    for k, (arch, colour) in enumerate(zip(ARCHITECTURES, colours)):
        drawn = result.failed_total(arch) > 0  # a legend entry only for bars that show; zeros are written
        bars = ax.bar([i + (k - 1) * 0.27 for i in range(len(names))], [result.failed[arch][n] for n in names], 0.27,
                      label=arch if drawn else f"_{arch}", color=colour)
        ax.bar_label(bars, fontsize=7)  # a zero is written, so every series in the legend is visible
    ax.set_xticks(range(len(names)), names)
    ax.set_xlabel("feature")
    ax.set_ylabel("failed requests (count)")
    none = [a for a in ARCHITECTURES if result.failed_total(a) == 0]
    ax.set_title(f"Payment down {result.outage_minutes:g} min: who fails?"
                 + (f" (none fail: {', '.join(none)})" if none else ""), fontsize=10)
    if len(none) < len(ARCHITECTURES):
        ax.legend(fontsize=8, frameon=False)
    return fig


def _describe_blast(r: BlastRadiusResult) -> str:
    parts = [f"{a}: {r.failed_total(a):,} failed" for a in ARCHITECTURES]
    return (" · ".join(parts) + f" · the monolith needs {r.monolith_concurrency_needed:,.0f} of "
            f"{r.concurrency_limit} environments · {r.delayed_orders:,} orders wait in the queue")


def blast_radius_explorer(outage_minutes: float = 10.0, timeout_s: float = 10.0, concurrency_limit: int = 40,
                          checkout_rps: float = 5.0):
    """Sliders for the outage, the payment call's timeout, the order rate and the concurrency limit."""
    from . import _shell

    controls = {
        "checkout_rps": _shell.slider("float", checkout_rps, 0.5, 20, 0.5, "orders/s"),
        "outage_minutes": _shell.slider("float", outage_minutes, 0, 60, 1, "outage (min)"),
        "timeout_s": _shell.slider("float", timeout_s, 0.5, 30, 0.5, "payment timeout (s)"),
        "concurrency_limit": _shell.slider("int", concurrency_limit, 10, 500, 10, "concurrency limit"),
    }
    return _shell.build(controls, explore_blast_radius, draw_blast_radius, _describe_blast,
                        layout=[["outage_minutes", "timeout_s"], ["checkout_rps", "concurrency_limit"]])

