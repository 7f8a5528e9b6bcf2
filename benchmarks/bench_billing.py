"""Benchmark billing: microseconds per invocation record, and the cost of an estimate, a power
tuning sweep and a bill from a simulator summary. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/bench_billing.py [--quick]

Billing is not on a hot path; the number that matters is that pricing the records a notebook keeps
(up to a million) takes about a second or less.
"""

from __future__ import annotations

import argparse
import time

from minilambda.billing import bill_invocations, estimate, power_tuning
from minilambda.records import Invocation, Outcome


def records(n: int) -> list[Invocation]:
    out = []
    for i in range(n):
        cold = i % 100 == 0
        out.append(Invocation(request_id=str(i), function_name=f"f{i % 3}", version="1", start=0.0, end=0.0,
                              outcome=Outcome.THROTTLED if i % 500 == 1 else Outcome.SUCCESS,
                              cold=cold, init_ms=250.3 if cold else 0.0, duration_ms=12.3 + i % 7,
                              memory_size_mb=512, architecture="arm64" if i % 3 == 2 else "x86_64"))
    return out


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 100_000 if args.quick else 1_000_000
    recs = records(n)
    t = best(lambda: bill_invocations(recs))
    print(f"bill_invocations: {n:,} records in {t:.3f} s = {t / n * 1e6:.2f} us per record")
    t = best(lambda: estimate(5_000_000, 120.5, 512, init_ms=400, cold_start_ratio=0.01, free_tier=True),
             repeat=20)
    print(f"estimate: {t * 1e3:.3f} ms")
    t = best(lambda: power_tuning(1000, non_cpu_fraction=0.3), repeat=5)
    print(f"power_tuning (16 sizes): {t * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
