"""Memory "power tuning": the duration and cost of one function at every memory size.

Lambda gives a function CPU in proportion to its memory, so more memory can make a CPU-bound
function faster, and since the price is per GB-second, sometimes no dearer. AWS Lambda Power
Tuning finds the sweet spot by running the real function at several sizes; here we compute it
for a function whose work we know.

AWS: https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html ,
https://github.com/alexcasalboni/aws-lambda-power-tuning
Simplification: the CPU share is exactly memory / 1,769 MB vCPUs (5.79 at 10,240 MB, where AWS
exposes 6 vCPUs); a program uses at most *threads* of them; the non-CPU-bound part (waiting on the
network or a disk) takes the same time at every size; no cold starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from ._common import MAX_MEMORY_MB, MIN_MEMORY_MB, BillingInputError, _check_range, _money, billed_duration_ms
from .bill import estimate
from .catalogue import PriceCatalogue

#: Memory at which a function has the equivalent of one full vCPU.
MB_PER_VCPU = 1769
#: The sizes AWS Lambda Power Tuning users commonly try, plus 1,769 MB (one vCPU).
DEFAULT_MEMORY_SIZES = (128, 256, 512, 768, 1024, 1536, 1769, 2048, 3008, 4096, 5120, 6144,
                        7168, 8192, 9216, 10240)


def vcpu_share(memory_mb: int) -> float:
    """The vCPUs a function gets at *memory_mb*: memory / 1,769 (0.07 at 128 MB, 1 at 1,769 MB).

    AWS: https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
    Simplification: linear all the way to 10,240 MB (5.79 vCPUs; AWS says "up to 6").
    """
    return memory_mb / MB_PER_VCPU


@dataclass(frozen=True)
class PowerTuningRow:
    """One memory size: how long the function runs and what it costs."""

    memory_mb: int
    vcpus: float
    duration_ms: float
    billed_ms: int
    cost_per_invocation_usd: Decimal
    cost_usd: Decimal  # for the result's *requests* invocations

    def to_dict(self) -> dict[str, Any]:
        return {"memory_mb": self.memory_mb, "vcpus": self.vcpus, "duration_ms": self.duration_ms,
                "billed_ms": self.billed_ms,
                "cost_per_invocation_usd": float(self.cost_per_invocation_usd),
                "cost_usd": float(self.cost_usd)}


@dataclass(frozen=True)
class PowerTuningResult:
    """Rows for each memory size, with the cheapest and the fastest of them."""

    rows: tuple[PowerTuningRow, ...]
    cheapest: PowerTuningRow
    fastest: PowerTuningRow
    requests: int
    architecture: str
    assumptions: dict

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [r.to_dict() for r in self.rows], "cheapest": self.cheapest.to_dict(),
                "fastest": self.fastest.to_dict(), "requests": self.requests,
                "architecture": self.architecture, "assumptions": dict(self.assumptions)}

    def table(self) -> str:
        head = ("Memory (MB)", "vCPUs", "Duration (ms)", "Billed (ms)", "USD / invocation",
                f"USD / {self.requests:,}")
        rows = [head]
        for r in self.rows:
            mark = (" cheapest" if r is self.cheapest else "") + (" fastest" if r is self.fastest else "")
            rows.append((f"{r.memory_mb:,}", f"{r.vcpus:.2f}", f"{r.duration_ms:,.1f}",
                         f"{r.billed_ms:,}", f"{r.cost_per_invocation_usd:.10f}",
                         _money(r.cost_usd) + mark))
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(row, widths)).rstrip() for row in rows)

    def __str__(self) -> str:
        return self.table()


def duration_at(memory_mb: int, cpu_ms: float, *, non_cpu_fraction: float = 0.0, threads: int = 1) -> float:
    """Duration at *memory_mb* of a function that runs *cpu_ms* at one full vCPU (1,769 MB),
    of which *non_cpu_fraction* is waiting that no amount of CPU shortens."""
    wait = cpu_ms * non_cpu_fraction
    work = cpu_ms - wait
    speed = min(vcpu_share(memory_mb), float(threads))
    return wait + work / speed


def power_tuning(cpu_ms: float, *, non_cpu_fraction: float = 0.0, threads: int = 1,
                 memory_sizes: Sequence[int] = DEFAULT_MEMORY_SIZES, architecture: str = "x86_64",
                 requests: int = 1_000_000, prices: PriceCatalogue | str | None = None) -> PowerTuningResult:
    """Duration and cost at each memory size of a function that takes *cpu_ms* at 1,769 MB.

    At *memory_mb* the CPU-bound part runs ``1769 / memory_mb`` times as long (but never faster
    than *threads* vCPUs allow); the *non_cpu_fraction* part does not change. Cost is the
    :func:`~minilambda.billing.estimate` of *requests* such invocations (requests and compute, no
    free tier). ``cheapest`` breaks ties by speed, ``fastest`` by cost.

    Example: a single-threaded, fully CPU-bound 1,000 ms function costs the same per GB-second
    from 128 MB to 1,769 MB (duration halves when memory doubles), so a bigger size is faster for
    the same money, up to 1,769 MB; above that it only costs more.

    AWS: https://github.com/alexcasalboni/aws-lambda-power-tuning
    Simplification: see the module docstring.
    """
    _check_range("cpu_ms", cpu_ms, 0, None, "ms")
    _check_range("non_cpu_fraction", non_cpu_fraction, 0, 1)
    _check_range("threads", threads, 1, 6, integer=True)
    if not memory_sizes:
        raise BillingInputError("memory_sizes must name at least one size from 128 to 10,240 MB")
    rows = []
    for m in memory_sizes:
        _check_range("memory", m, MIN_MEMORY_MB, MAX_MEMORY_MB, "MB", integer=True)
        d = duration_at(int(m), float(cpu_ms), non_cpu_fraction=float(non_cpu_fraction), threads=int(threads))
        bill = estimate(requests, d, int(m), architecture, prices=prices)
        per = bill.total_usd / requests if requests else Decimal(0)
        rows.append(PowerTuningRow(memory_mb=int(m), vcpus=round(vcpu_share(int(m)), 4), duration_ms=d,
                                   billed_ms=billed_duration_ms(d), cost_per_invocation_usd=per,
                                   cost_usd=bill.total_usd))
    cheapest = min(rows, key=lambda r: (r.cost_usd, r.billed_ms, r.memory_mb))
    fastest = min(rows, key=lambda r: (r.billed_ms, r.cost_usd, r.memory_mb))
    return PowerTuningResult(rows=tuple(rows), cheapest=cheapest, fastest=fastest, requests=int(requests),
                             architecture=architecture,
                             assumptions={"cpu_ms_at_1769_mb": float(cpu_ms),
                                          "non_cpu_fraction": float(non_cpu_fraction),
                                          "threads": int(threads), "mb_per_vcpu": MB_PER_VCPU})
