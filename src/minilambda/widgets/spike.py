"""Spike (module 01): one feature's traffic spikes; what scales and what it costs, monolith vs services.

A fluid model (Little's law: concurrency = rate x duration); the notebook runs the real thing next to it.
AWS: https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
"""

from __future__ import annotations

from dataclasses import dataclass

from ..billing.bill import estimate
from ._shop import SECONDS_PER_DAY, SHOP, Feature, _by_name, monolith_of


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
    from . import _shell

    fig, (left, right) = _shell.figure(9, 3.2, cols=2, left=0.08)
    x = range(len(result.features))
    left.bar([i - 0.2 for i in x], [result.monolith_usd[n] for n in result.features], 0.4,
             label=f"monolith ({result.monolith_memory_mb} MB)", color="#d62728")
    left.bar([i + 0.2 for i in x], [result.services_usd[n] for n in result.features], 0.4,
             label="microservices", color="#2ca02c")
    left.set_xticks(list(x), result.features)
    left.set_xlabel("feature")
    left.set_ylabel("USD per day")
    left.set_title(f"Daily cost, {result.spike_feature} x{result.spike_factor:g}")
    left.legend(fontsize=8, frameon=False)
    right.bar(["monolith", "microservices"], [result.monolith_peak_memory_gb, result.services_peak_memory_gb],
              color=["#d62728", "#2ca02c"])
    right.set_xlabel("architecture")
    right.set_ylabel("memory in busy environments (GB)")
    right.set_title("Memory at the peak")
    return fig


def _describe_spike(r: SpikeResult) -> str:
    from . import _shell

    c = r.services_peak_concurrency
    return (f"Peak concurrency: monolith {r.monolith_peak_concurrency:,.0f} environments of "
            f"{r.monolith_memory_mb} MB · services " + ", ".join(f"{n} {c[n]:,.0f}" for n in r.features)
            + f" · <b>per day: monolith {_shell.money(r.monolith_total)}, services "
            f"{_shell.money(r.services_total)}</b>")


def spike_explorer(spike_feature: str = "browse", spike_factor: float = 10.0, spike_hours: float = 2.0):
    """Sliders for the spike: which feature, how much, how long."""
    from . import _shell

    controls = {
        "spike_feature": _shell.toggles([f.name for f in SHOP], spike_feature, "spiking"),
        "spike_factor": _shell.slider("float", spike_factor, 1, 50, 1, "traffic x"),
        "spike_hours": _shell.slider("float", spike_hours, 0, 12, 0.5, "for (hours)"),
    }
    return _shell.build(controls, explore_spike, draw_spike, _describe_spike,
                        layout=[["spike_feature"], ["spike_factor", "spike_hours"]])

