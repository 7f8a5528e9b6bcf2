"""Benchmark usage-plan throttling on the virtual clock: 100,000 requests against a 100 rps / 200 burst
API key, decided by the fast path (``admitted_mask``) and by the per-request ``Throttler.decide`` that
the data plane calls, side by side. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/bench_usage_plans.py [--requests 100000] [--repeat 3]

Target (issue 11): 100,000 requests evaluated in <= 2 s with exactly the token bucket's admitted count.
"""

from __future__ import annotations

import argparse
import platform as _pyplatform
import sys
import time

import numpy as np

from minilambda.apigateway.throttling import (
    QuotaSettings, ThrottleRequest, ThrottleSettings, Throttler, UsagePlanKey, admitted_mask,
)

START = 1_800_000_000.0
KEY = ThrottleSettings(100.0, 200)


def arrivals(kind: str, n: int, seed: int) -> np.ndarray:
    """Sorted arrival times: Poisson at 150 rps (over the limit), or a steady 1,000 rps."""
    if kind == "steady":
        return START + np.arange(n) / 1000.0
    gaps = np.random.default_rng(seed).exponential(1 / 150.0, n)
    return START + np.cumsum(gaps)


def best_of(repeat: int, fn) -> tuple[float, int]:
    """(best wall seconds, result) over *repeat* runs."""
    best, result = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def decide_all(times: np.ndarray, quota: QuotaSettings | None) -> int:
    """The per-request path: one Throttler.decide per arrival (usage plan + stage + account)."""
    throttler = Throttler()
    request = ThrottleRequest("api1", "prod", "/items/GET", None,
                              UsagePlanKey("plan1", "key1", KEY, None, quota))
    return sum(throttler.decide(request, t).allowed for t in times.tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {_pyplatform.machine()}, numpy {np.__version__}; "
          f"{args.requests:,} requests, key 100 rps / 200 burst, best of {args.repeat}")
    print(f"{'workload':<32}{'fast path s':>12}{'decide() s':>12}{'admitted':>10}{'same':>6}")
    for kind in ("poisson-150rps", "steady-1000rps"):
        for quota in (None, QuotaSettings(5_000, "DAY")):
            times = arrivals("steady" if kind.startswith("steady") else "poisson", args.requests, 1)
            fast_s, fast_n = best_of(args.repeat, lambda: int(admitted_mask(times, KEY, quota).sum()))
            slow_s, slow_n = best_of(1, lambda: decide_all(times, quota))
            label = kind + (" +quota 5000/day" if quota else "")
            print(f"{label:<32}{fast_s:>12.3f}{slow_s:>12.3f}{fast_n:>10,}{str(fast_n == slow_n):>6}")


if __name__ == "__main__":
    main()
