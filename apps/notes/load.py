"""A day of mobile users on the notes app, on the virtual clock, and what a month would cost.

Each user opens the app a few times a day (Poisson, mean ``sessions_per_day``) at hours drawn
from a daily profile (quiet at night, peaks at lunch and in the evening); a session signs in,
lists the notes and sometimes adds or edits one. Requests go through the HTTP API in-process
(``cloud.http``: the same code path as real HTTP) to the real handlers; the clock jumps from one
request to the next, so a day takes seconds. The report gives concurrency, cold starts, API,
Lambda and DynamoDB requests, and the monthly bill per 1,000 users (x30 days).

    python apps/notes/load.py --users 100 --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "template.yaml")
# Relative activity per hour of the day (UTC here), a typical consumer-app shape.
HOURLY = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.2, 2.5, 3, 2.5, 2.2, 2.5, 3.5, 3, 2.4, 2.2, 2.4, 3, 3.5, 4, 4.2, 3.6, 2.5, 1.6)
DAY = 86_400.0


@dataclass(frozen=True)
class LoadReport:
    """What a simulated day produced, and the month's bill scaled to 1,000 users."""

    users: int
    api_requests: int
    invocations: int
    cold_starts: int
    peak_concurrency: int
    dynamodb_read_units: float
    dynamodb_write_units: float
    monthly_usd_per_1000_users: dict[str, float]

    def __str__(self) -> str:
        lines = [f"{self.users} users, one day on the virtual clock",
                 f"  API requests        {self.api_requests}", f"  Lambda invocations  {self.invocations}",
                 f"  cold starts         {self.cold_starts}", f"  peak concurrency    {self.peak_concurrency}",
                 f"  DynamoDB RRU / WRU  {self.dynamodb_read_units:g} / {self.dynamodb_write_units:g}",
                 "Monthly bill per 1,000 users (USD, x30 days, no free tiers)"]
        lines += [f"  {k:<20}{v:10.4f}" for k, v in self.monthly_usd_per_1000_users.items()]
        return "\n".join(lines)


def session_times(rng: random.Random, users: int, sessions_per_day: float, start: float) -> list[tuple[float, int]]:
    """(time, user index) of every session in one day, in time order."""
    out = []
    for user in range(users):
        count = _poisson(rng, sessions_per_day)
        for hour in rng.choices(range(24), weights=HOURLY, k=count):
            out.append((start + hour * 3600 + rng.random() * 3600, user))
    return sorted(out)


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _call(cloud: Any, api: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"content-type": "application/json", **({"authorization": token} if token else {})}
    resp = cloud.http(method, api + path, headers=headers, body=json.dumps(body) if body is not None else None)
    if resp.status >= 400:
        raise RuntimeError(f"{method} {path} answered {resp.status}: {resp.body[:200]!r}")
    return resp.json() if resp.body else None


def _session(cloud: Any, api: str, rng: random.Random, email: str) -> None:
    tokens = _call(cloud, api, "POST", "/auth/login", {"email": email, "password": "passw0rd1"})
    token = tokens["idToken"]
    notes = _call(cloud, api, "GET", "/notes", token=token)["notes"]
    if rng.random() < 0.5:
        _call(cloud, api, "POST", "/notes", {"text": f"note {rng.randrange(10**6)}"}, token)
    if notes and rng.random() < 0.2:
        _call(cloud, api, "PUT", f"/notes/{notes[0]['id']}", {"text": "edited"}, token)


def peak_concurrency(invocations: list[Any]) -> int:
    """The most invocations running at once (from their start and end times)."""
    edges = sorted([(i.start, 1) for i in invocations] + [(i.end, -1) for i in invocations], key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def monthly_bill(cloud: Any, invocations: list[Any], users: int, api_requests: int,
                 days: float = 1.0) -> dict[str, float]:
    """The month's cost per 1,000 users, by service (Cognito: 1,000 more MAU beyond its free 10,000)."""
    from minilambda.billing import bill_invocations
    from minilambda.billing.apps import DynamoDBUsage, cognito_cost, dynamodb_cost, total

    scale = Decimal(30) / Decimal(str(days)) * Decimal(1000) / Decimal(users)
    lam = bill_invocations(invocations)
    api_price = Decimal("0.000001")  # HTTP API, first 300 M requests (prices.json)
    ddb = cloud.dynamodb
    ddb_items = dynamodb_cost(DynamoDBUsage(ddb.read_units, ddb.write_units, 0.0))
    out = {"Lambda": float(Decimal(str(lam.total_usd)) * scale),
           "API Gateway (HTTP)": float(api_requests * api_price * scale),
           "DynamoDB": float(total(ddb_items) * scale),
           "Cognito (Essentials)": float(total(cognito_cost(11_000)) - total(cognito_cost(10_000))),
           }
    out["total"] = sum(out.values())
    return out


def run(users: int = 50, *, seed: int = 1, sessions_per_day: float = 3.0) -> LoadReport:
    """Deploy the app to a virtual-clock Cloud, play one day of *users*, and report."""
    from minilambda import Cloud
    from minilambda.cloudformation import deploy

    rng = random.Random(seed)
    with Cloud(clock="virtual", seed=seed, start=1_767_225_600.0) as cloud:  # 2026-01-01T00:00Z
        result = deploy(cloud.client, TEMPLATE, stack_name="notes")
        api = result.outputs["ApiUrl"]
        emails = [f"user{i}@example.com" for i in range(users)]
        for email in emails:
            _call(cloud, api, "POST", "/auth/signup", {"email": email, "password": "passw0rd1"})
        first = len(cloud.api_requests)
        start_records = len(cloud.invocations)
        day_start = cloud.clock.now() + 60
        ddb = cloud.dynamodb
        ddb.read_units = ddb.write_units = 0.0
        for when, user in session_times(rng, users, sessions_per_day, day_start):
            if when > cloud.clock.now():
                cloud.clock.advance(when - cloud.clock.now())
            _session(cloud, api, rng, emails[user])
        cloud.clock.advance(max(0.0, day_start + DAY - cloud.clock.now()))
        day = cloud.invocations[start_records:]
        api_requests = len(cloud.api_requests) - first
        bill = monthly_bill(cloud, day, users, api_requests)  # the day only: sign-ups happen once
        return LoadReport(users, api_requests, len(day), sum(1 for i in day if i.cold), peak_concurrency(day),
                          ddb.read_units, ddb.write_units, {k: round(v, 4) for k, v in bill.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--sessions-per-day", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(run(args.users, seed=args.seed, sessions_per_day=args.sessions_per_day))


if __name__ == "__main__":
    main()
