"""Serverless versus always-on servers: a month of steady traffic."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class BreakEvenResult:
    """Both monthly bills at one rate, and both curves over a range of rates."""

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
    from ..billing.compare import server_comparison

    kw = dict(instance_hourly_usd=float(instance_hourly_usd), instance_capacity_rps=float(instance_capacity_rps),
              min_instances=int(min_instances), architecture=architecture)
    cmp = server_comparison(float(requests_per_second), float(duration_ms), int(memory), **kw)
    per_request = float(cmp.lambda_usd) / cmp.monthly_requests if cmp.monthly_requests else \
        float(server_comparison(1.0, float(duration_ms), int(memory), **kw).lambda_usd) / (HOURS_PER_MONTH * 3600)
    top = max(4 * float(requests_per_second), 2 * (cmp.break_even_rps or 0), 1.0)
    rates = np.linspace(0, top, 200)
    lam = rates * HOURS_PER_MONTH * 3600 * per_request
    servers = np.maximum(int(min_instances), np.ceil(rates / float(instance_capacity_rps))) \
        * float(instance_hourly_usd) * HOURS_PER_MONTH
    return BreakEvenResult(requests_per_second=float(requests_per_second), lambda_usd=float(cmp.lambda_usd),
                           server_usd=float(cmp.server_usd), instances=cmp.instances, cheaper=cmp.cheaper,
                           break_even_rps=cmp.break_even_rps, rates=rates, lambda_curve=lam, server_curve=servers)


def draw_break_even(result: BreakEvenResult):
    """Monthly cost against a steady request rate, for Lambda and for the servers."""
    from ._shell import figure

    fig, ax = figure(7, 2.9, left=0.12, right=0.97, bottom=0.18, top=0.83)
    ax.plot(result.rates, result.lambda_curve, color="#ff7f0e", label="Lambda")
    ax.step(result.rates, result.server_curve, color="#1f77b4", where="post", label="always-on servers")
    ax.axvline(result.requests_per_second, color="k", linestyle=":", linewidth=1, label="your traffic")
    ax.set_xlabel("requests per second (steady, all month)")
    ax.set_ylabel("USD per month")
    fig.legend(loc="upper right", ncol=3, fontsize=8, frameon=False, bbox_to_anchor=(0.98, 1.0))
    return fig


def describe_break_even(r: BreakEvenResult) -> str:
    """The summary line."""
    from ._shell import money

    be = "never" if r.break_even_rps is None else f"{r.break_even_rps:,.1f} req/s"
    return (f"Lambda {money(r.lambda_usd)} · servers {money(r.server_usd)} ({r.instances} instances) · "
            f"<b>cheaper: {r.cheaper}</b> · break-even at {be}")


def server_vs_serverless(requests_per_second: float = 5.0, duration_ms: float = 100.0, memory: int = 512):
    """Monthly cost of the same steady traffic on Lambda and on always-on servers."""
    from ._shell import build, selection, slider

    controls = {
        "requests_per_second": slider("log", requests_per_second, -2, 3, 0.1, "requests / s", readout_format=".3g"),
        "duration_ms": slider("int", duration_ms, 10, 2000, 10, "duration (ms)"),
        "memory": selection((128, 256, 512, 1024, 2048), memory, "memory (MB)"),
        "instance_hourly_usd": slider("float", 0.0416, 0.005, 0.5, 0.0005, "server (USD / h)", readout_format=".4f"),
        "instance_capacity_rps": slider("int", 50, 5, 500, 5, "req/s per server"),
    }
    return build(controls, explore_break_even, draw_break_even, describe_break_even,
                 layout=[["requests_per_second", "duration_ms"], ["memory", "instance_hourly_usd"],
                         ["instance_capacity_rps"]])
