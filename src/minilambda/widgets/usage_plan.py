"""Usage plan (module 07): one API key's requests through a usage plan's token bucket and quota.

Uses ``minilambda.apigateway.throttling.admitted_mask``, the arithmetic the API Gateway data plane itself uses.
AWS: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class UsagePlanResult:
    """One API key's requests over *seconds*: which got 200 and which got AWS's two 429s."""

    rate: float
    burst: int
    quota: int
    client_rps: float
    spike: int
    seconds: float
    arrivals: np.ndarray = field(repr=False)  # seconds since the start, sorted
    admitted: np.ndarray = field(repr=False)  # bool per arrival
    over_quota: np.ndarray = field(repr=False)  # bool per arrival: 429 Limit Exceeded

    @property
    def requests(self) -> int:
        return int(self.arrivals.size)

    @property
    def ok(self) -> int:
        return int(self.admitted.sum())

    @property
    def limit_exceeded(self) -> int:
        """429 ``{"message":"Limit Exceeded"}``: the quota was used up."""
        return int(self.over_quota.sum())

    @property
    def too_many(self) -> int:
        """429 ``{"message":"Too Many Requests"}``: the bucket was empty."""
        return self.requests - self.ok - self.limit_exceeded


def _arrivals(client_rps: float, spike: int, seconds: float, seed: int) -> np.ndarray:
    """Poisson arrivals at *client_rps* plus *spike* simultaneous requests at t = 2 s."""
    rng = np.random.default_rng(seed)
    count = rng.poisson(client_rps * seconds) if client_rps > 0 else 0
    steady = np.sort(rng.uniform(0.0, seconds, size=count))
    return np.sort(np.concatenate([steady, np.full(int(spike), min(2.0, seconds))]))


def explore_usage_plan(rate: float = 5.0, burst: int = 10, quota: int = 200, client_rps: float = 4.0,
                       spike: int = 20, seconds: float = 60.0, seed: int = 1) -> UsagePlanResult:
    """Play one key's requests against a plan of *rate* req/s, *burst* and a daily *quota*.

    A request refused while the quota still has room was refused by the bucket (Too Many
    Requests); once the day's quota is used up, every later request is Limit Exceeded. The run
    starts at 00:00 UTC and lasts less than a day, so one quota period covers it.
    """
    from ..apigateway.throttling import QuotaSettings, ThrottleSettings, admitted_mask

    if rate <= 0 or burst < 0 or quota < 0 or seconds <= 0 or seconds >= 86_400:
        raise ValueError(f"need rate > 0, burst >= 0, quota >= 0 and 0 < seconds < 86,400; got "
                         f"rate {rate}, burst {burst}, quota {quota}, seconds {seconds}")
    arrivals = _arrivals(client_rps, spike, seconds, seed)
    midnight = 1_767_225_600.0  # 2026-01-01T00:00Z: the quota's UTC day starts with the run
    admitted = admitted_mask(midnight + arrivals, ThrottleSettings(float(rate), int(burst)),
                             QuotaSettings(int(quota), "DAY"))
    used = np.cumsum(admitted)
    over_quota = ~admitted & (np.concatenate([[0], used[:-1]]) >= quota) if arrivals.size else admitted
    return UsagePlanResult(rate=rate, burst=int(burst), quota=int(quota), client_rps=client_rps, spike=int(spike),
                           seconds=seconds, arrivals=arrivals, admitted=admitted, over_quota=over_quota)


def draw_usage_plan(result: UsagePlanResult):
    """Requests per second, stacked by outcome: 200, 429 Too Many Requests, 429 Limit Exceeded."""
    from . import _shell

    fig, ax = _shell.figure(8, 3)
    fig.subplots_adjust(right=0.72)
    edges = np.arange(0.0, result.seconds + 1.0, 1.0)
    groups = [(result.admitted, "200 OK", "#2ca02c"),
              (~result.admitted & ~result.over_quota, "429 Too Many Requests", "#ff7f0e"),
              (result.over_quota, "429 Limit Exceeded", "#d62728")]
    bottom = np.zeros(edges.size - 1)
    for mask, label, colour in groups:
        counts, _ = np.histogram(result.arrivals[mask], bins=edges)
        if counts.any():
            ax.bar(edges[:-1], counts, width=1.0, align="edge", bottom=bottom, color=colour, label=label)
        bottom += counts
    ax.axhline(result.rate, color="black", linestyle="--", linewidth=1, label=f"rate limit {result.rate:g}/s")
    ax.set_xlim(0, result.seconds)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("requests per second")
    ax.set_title(f"One API key: rate {result.rate:g}/s, burst {result.burst}, quota {result.quota}/day")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def _describe(r: UsagePlanResult) -> str:
    """The plan as set (so every control change shows), then the outcome of each request."""
    return (f"Plan: {r.rate:g} req/s, burst {r.burst}, quota {r.quota}/day · client: {r.client_rps:g} req/s + "
            f"{r.spike} at 2 s<br>{r.requests:,} requests · <b>{r.ok:,} × 200</b> · {r.too_many:,} × 429 "
            f"<code>Too Many Requests</code> (bucket empty) · {r.limit_exceeded:,} × 429 "
            f"<code>Limit Exceeded</code> (quota used up)")


def usage_plan_explorer(rate: float = 5.0, burst: int = 10, quota: int = 200, client_rps: float = 4.0,
                        spike: int = 20):
    """Sliders for the plan (rate, burst, quota) and the client (steady rate, one spike at 2 s)."""
    from . import _shell

    controls = {
        "rate": _shell.slider("float", rate, 1, 20, 1, "plan rate (req/s)"),
        "burst": _shell.slider("int", burst, 0, 50, 1, "plan burst"),
        "quota": _shell.slider("int", quota, 0, 500, 10, "quota (req/day)"),
        "client_rps": _shell.slider("float", client_rps, 0, 20, 0.5, "client steady (req/s)"),
        "spike": _shell.slider("int", spike, 0, 60, 1, "client spike at 2 s"),
    }
    return _shell.build(controls, explore_usage_plan, draw_usage_plan, _describe,
                        layout=[["rate", "burst", "quota"], ["client_rps", "spike"]])

