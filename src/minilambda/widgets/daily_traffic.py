"""Daily traffic (module 02): a day of a daily curve on ``minilambda.sim`` vs always-on servers.

AWS: https://aws.amazon.com/lambda/pricing/
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

SECONDS_PER_DAY = 86_400
WARM_UP_FROM_HOUR = 18  # the run starts at 18:00 the evening before the reported day
WARM_UP_S = (24 - WARM_UP_FROM_HOUR) * 3600
# Share of the peak rate in each hour of the day (0 = midnight): quiet nights, a lunch peak.
DAY_SHAPE: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.02, 0.1, 0.35, 0.6, 0.75, 0.85, 0.95,
                                1.0, 0.95, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5, 0.35, 0.2, 0.08, 0.02)



@dataclass(frozen=True)
class DailyTrafficResult:
    """One simulated day: environments over time, cold starts, and the two bills."""

    peak_rps: float
    night_rps: float
    requests: int
    cold_starts: int
    cold_start_ratio: float
    lambda_usd: float
    server_usd: float
    servers: int
    hours_at_zero: float  # hours during which no environment existed (scale to zero)
    peak_environments: int
    p99_ms: float
    hours: np.ndarray = field(repr=False)  # start of each 10-minute bucket, in hours
    environments: np.ndarray = field(repr=False)  # mean environments alive in the bucket
    rate: np.ndarray = field(repr=False)  # requests per second in the bucket

    @property
    def cheaper(self) -> str:
        return "lambda" if self.lambda_usd < self.server_usd else "server"


def explore_daily_traffic(peak_rps: float = 2.0, night_rps: float = 0.0, duration_ms: float = 200.0,
                          memory: int = 512, keep_alive: float = 600.0, init_ms: float = 500.0,
                          server_rps: float = 50.0, server_hourly_usd: float = 0.0416, min_servers: int = 2,
                          seed: int = 1) -> DailyTrafficResult:
    """Simulate a day whose rate follows :data:`DAY_SHAPE` between *night_rps* and *peak_rps*,
    after a warm-up from 18:00 the evening before (so midnight inherits live environments).

    Lambda pays per request and per GB-second, INIT included (AWS's rule since August 2025);
    the servers are sized for the peak (at least *min_servers*, for availability) and paid every
    hour of the day. Environments idle longer than *keep_alive* seconds are reclaimed.
    Simplification: *lambda_usd* is the whole run's bill times the reported day's share of the
    requests, and *p99_ms* covers the whole run.
    """
    from ..billing.bill import bill_summary
    from ..sim import Constant, Diurnal, Exponential, simulate

    if peak_rps <= 0 or night_rps < 0 or night_rps > peak_rps:
        msg = f"need 0 <= night_rps <= peak_rps and peak_rps > 0, got night {night_rps}, peak {peak_rps}"
        raise ValueError(msg)
    hourly = [night_rps + (peak_rps - night_rps) * s for s in DAY_SHAPE]
    # Start at 18:00 the day before (the curve rotated by 18 h), so the reported day, from 6 h
    # into the run, begins with the environments the evening and night left alive.
    res = simulate(arrivals=Diurnal(hourly=hourly[WARM_UP_FROM_HOUR:] + hourly[:WARM_UP_FROM_HOUR]),
                   warm=Exponential(mean=duration_ms / 1000.0), init=Constant(init_ms / 1000.0),
                   keep_alive=keep_alive, duration=SECONDS_PER_DAY + WARM_UP_S, seed=seed, memory_mb=int(memory),
                   series_resolution=600.0)
    s, series = res.summary, res.series
    day = slice(int(WARM_UP_S // series.resolution), len(series))
    requests, cold = int(series.requests[day].sum()), int(series.cold_starts[day].sum())
    servers = max(min_servers, math.ceil(peak_rps / server_rps))
    zero = float(np.sum(series.environments[day] < 1e-9)) * series.resolution / 3600.0
    share = requests / s.requests if s.requests else 0.0
    return DailyTrafficResult(
        peak_rps=peak_rps, night_rps=night_rps, requests=requests, cold_starts=cold,
        cold_start_ratio=cold / requests if requests else 0.0, lambda_usd=float(bill_summary(s).total_usd) * share,
        server_usd=servers * server_hourly_usd * 24, servers=servers, hours_at_zero=zero,
        peak_environments=int(np.ceil(series.environments[day].max())), p99_ms=s.latency_p99_s * 1000.0,
        hours=series.time[day] / 3600.0 - WARM_UP_S / 3600.0, environments=series.environments[day],
        rate=series.requests[day] / series.resolution)


def draw_daily_traffic(result: DailyTrafficResult):
    """Request rate and live environments over the day; the servers as a flat line."""
    from . import _shell

    fig, ax = _shell.figure(8, 3)
    fig.subplots_adjust(right=0.88)
    ax.step(result.hours, result.environments, where="post", color="#2ca02c", label="Lambda environments")
    ax.axhline(result.servers, color="#1f77b4", linestyle="--", label=f"{result.servers} always-on servers")
    ax.set_xlabel("hour of the day (h)")
    ax.set_ylabel("environments / servers (count)")
    ax.set_xlim(0, 24)
    ax.set_title(f"A day at up to {result.peak_rps:g} requests/s")
    _shell.rate_on_twin_axis(ax, result.hours, result.rate)
    return fig


def _describe_daily(r: DailyTrafficResult) -> str:
    from . import _shell

    return (f"{r.requests:,} requests · {r.cold_starts:,} cold starts ({r.cold_start_ratio:.2%}) · "
            f"{r.hours_at_zero:.1f} h at zero environments · p99 {r.p99_ms:,.0f} ms · "
            f"<b>per day: Lambda {_shell.money(r.lambda_usd)}, servers {_shell.money(r.server_usd)}</b>")


def daily_traffic_explorer(peak_rps: float = 2.0, night_rps: float = 0.0, keep_alive: float = 600.0):
    """Sliders for the daily curve and keep-alive; the plot shows scale-to-zero at night."""
    from . import _shell

    controls = {
        "peak_rps": _shell.slider("float", peak_rps, 0.5, 5, 0.5, "peak req/s"),
        "night_rps": _shell.slider("float", night_rps, 0, 5, 0.1, "night req/s"),
        "keep_alive": _shell.slider("float", keep_alive, 0, 3600, 60, "keep-alive (s)"),
        "duration_ms": _shell.slider("float", 200, 10, 2000, 10, "duration (ms)"),
    }

    def compute(peak_rps: float, night_rps: float, **kw: float) -> DailyTrafficResult:
        return explore_daily_traffic(peak_rps, min(night_rps, peak_rps), **kw)  # the night never exceeds the peak

    def describe(r: DailyTrafficResult) -> str:
        capped = controls["night_rps"].value > r.peak_rps
        return (_shell.notice(f"night req/s capped at the peak, {r.peak_rps:g}") if capped else "") + _describe_daily(r)

    return _shell.build(controls, compute, draw_daily_traffic, describe,
                        layout=[["peak_rps", "night_rps"], ["keep_alive", "duration_ms"]])

