"""Mobile load (module 08): a day of the notes app's API traffic on ``minilambda.sim``, and a month's bill
per 1,000 daily users (Lambda, HTTP API, DynamoDB, Cognito).

AWS: https://aws.amazon.com/api-gateway/pricing/ , https://aws.amazon.com/dynamodb/pricing/on-demand/ ,
https://aws.amazon.com/cognito/pricing/
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Relative activity per hour of the day (UTC), the consumer-app shape of apps/notes/load.py.
HOURLY: tuple[float, ...] = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.2, 2.5, 3, 2.5, 2.2, 2.5, 3.5, 3, 2.4, 2.2, 2.4, 3,
                             3.5, 4, 4.2, 3.6, 2.5, 1.6)



@dataclass(frozen=True)
class MobileLoadResult:
    """A simulated day of the app's API traffic, and a month's bill per 1,000 daily users."""

    daily_users: int
    requests: int
    cold_starts: int
    peak_concurrency: int
    p95_ms: float
    monthly_usd_per_1000: dict[str, float]
    hours: np.ndarray = field(repr=False)
    concurrency: np.ndarray = field(repr=False)  # mean environments alive per 10-minute bucket
    rate: np.ndarray = field(repr=False)  # requests per second per bucket

    @property
    def cold_start_ratio(self) -> float:
        return self.cold_starts / self.requests if self.requests else 0.0


def _monthly_per_1000(summary, daily_users: int, write_share: float, mau: int) -> dict[str, float]:
    """Lambda + HTTP API from the simulated day and DynamoDB units per request (x30), Cognito for *mau*; per 1,000 daily users."""
    from decimal import Decimal

    from ..billing.apps import DynamoDBUsage, cognito_cost, dynamodb_cost, total
    from ..billing.bill import ApiGateway, bill_summary

    bill = bill_summary(summary, api_gateway=ApiGateway("http"))
    scale = Decimal(30) * Decimal(1000) / Decimal(daily_users)
    writes = Decimal(summary.requests) * Decimal(str(write_share))
    ddb = total(dynamodb_cost(DynamoDBUsage(float(Decimal(summary.requests) - writes), float(writes), 0.0)))
    cognito = total(cognito_cost(mau))
    return {"Lambda": float((bill.total("requests") + bill.total("compute")) * scale),
            "API Gateway (HTTP)": float(bill.total("api_gateway") * scale),
            "DynamoDB": float(ddb * scale),
            "Cognito": float(cognito * Decimal(1000) / Decimal(daily_users))}


def explore_mobile_load(daily_users: int = 2000, sessions_per_user: float = 3.0, requests_per_session: float = 4.0,
                        duration_ms: float = 60.0, memory: int = 256, write_share: float = 0.3,
                        mau_per_dau: float = 3.0, seed: int = 1) -> MobileLoadResult:
    """Simulate one day of the notes API (requests follow :data:`HOURLY`) and price a month.

    Model (say it when you teach it): every API request is one Lambda invocation of *duration_ms*
    and one DynamoDB request unit (a write for *write_share* of them, else a read); monthly
    active users are *mau_per_dau* x the daily ones; INIT is billed (AWS's rule since August 2025).
    p95 is the response time of the invocation (INIT included for cold starts), not the network.
    """
    from ..sim import Diurnal, Exponential, simulate

    if daily_users < 1 or sessions_per_user <= 0 or requests_per_session <= 0:
        raise ValueError(f"need at least 1 daily user, sessions and requests > 0; got {daily_users} users, "
                         f"{sessions_per_user} sessions, {requests_per_session} requests")
    per_day = daily_users * sessions_per_user * requests_per_session
    shape = np.asarray(HOURLY) / np.sum(HOURLY)
    hourly = (per_day * shape / 3600.0).tolist()
    res = simulate(arrivals=Diurnal(hourly=hourly), warm=Exponential(mean=duration_ms / 1000.0),
                   keep_alive=600.0, duration=86_400.0, seed=seed, memory_mb=int(memory),
                   series_resolution=600.0, function_name="notes")
    s, series = res.summary, res.series
    mau = int(round(daily_users * mau_per_dau))
    return MobileLoadResult(
        daily_users=int(daily_users), requests=int(s.requests), cold_starts=int(s.cold_starts),
        peak_concurrency=int(s.peak_environments), p95_ms=float(s.latency_p95_s * 1000.0),
        monthly_usd_per_1000=_monthly_per_1000(s, int(daily_users), write_share, mau),
        hours=series.time / 3600.0, concurrency=series.environments, rate=series.requests / series.resolution)


def draw_mobile_load(result: MobileLoadResult):
    """Left: environments and request rate over the day. Right: the month's bill per 1,000 users."""
    from . import _shell

    fig, (ax, bill_ax) = _shell.figure(10, 3.2, cols=2, left=0.08)
    fig.subplots_adjust(left=0.07, right=0.97, wspace=0.85)
    ax.step(result.hours, result.concurrency, where="post", color="#2ca02c", label="environments")
    ax.set_xlabel("hour of the day (UTC)")
    ax.set_ylabel("environments (count)")
    ax.set_xlim(0, 24)
    ax.set_title(f"{result.daily_users:,} daily users")
    _shell.rate_on_twin_axis(ax, result.hours, result.rate)
    names = list(result.monthly_usd_per_1000)
    values = [result.monthly_usd_per_1000[n] for n in names]
    bill_ax.barh(names, values, color="#1f77b4")
    bill_ax.set_xlabel("USD per month per 1,000 daily users")
    bill_ax.set_ylabel("service")
    total = sum(values)
    bill_ax.set_title(f"total {_shell.money(total, 2 if total >= 1 else 4)} per month")
    bill_ax.tick_params(axis="y", labelsize=8)
    return fig


def _describe(r: MobileLoadResult) -> str:
    from . import _shell

    total = sum(r.monthly_usd_per_1000.values())
    return (f"{r.requests:,} requests/day · peak {r.peak_concurrency} environments · {r.cold_starts:,} cold starts "
            f"({r.cold_start_ratio:.2%}) · p95 {r.p95_ms:,.0f} ms · "
            f"<b>{_shell.money(total, 4)} per month per 1,000 daily users</b>")


def mobile_load_explorer(daily_users: int = 2000, sessions_per_user: float = 3.0, requests_per_session: float = 4.0):
    """Sliders for the users and their habits; the plot shows a day and the bill."""
    from . import _shell

    controls = {
        # ranges capped at 120,000 requests a day: the day simulates in about 0.1-0.4 s (p95 from the summary's histogram)
        "daily_users": _shell.slider("int", daily_users, 100, 5_000, 100, "daily active users"),
        "sessions_per_user": _shell.slider("float", sessions_per_user, 0.5, 4, 0.5, "sessions/user/day"),
        "requests_per_session": _shell.slider("float", requests_per_session, 1, 6, 1, "requests/session"),
        "duration_ms": _shell.slider("float", 60, 10, 1000, 10, "duration (ms)"),
        "memory": _shell.slider("int", 256, 128, 2048, 128, "memory (MB)"),
    }
    return _shell.build(controls, explore_mobile_load, draw_mobile_load, _describe,
                        layout=[["daily_users", "sessions_per_user", "requests_per_session"], ["duration_ms", "memory"]])
