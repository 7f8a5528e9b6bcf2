"""Cost: a month's Lambda bill, line by line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MEMORY_SIZES = (128, 256, 512, 1024, 1769, 2048, 3008, 4096, 10240)


@dataclass(frozen=True)
class CostResult:
    """A month's bill: total, USD per category and the printable table."""

    total_usd: float
    by_category: dict
    table: str
    bill: Any = field(repr=False)


def explore_cost(requests: int = 5_000_000, duration_ms: float = 120.0, memory: int = 512,
                 architecture: str = "x86_64", free_tier: bool = False, cold_start_ratio: float = 0.01,
                 init_ms: float = 400.0, ephemeral_storage_mb: int = 512) -> CostResult:
    """A month's Lambda bill (:func:`minilambda.billing.bill.estimate`) with its line items; INIT is
    billed for the *cold_start_ratio* share of requests (AWS rule since 1 August 2025)."""
    from ..billing.bill import estimate

    bill = estimate(int(requests), float(duration_ms), int(memory), architecture, free_tier=bool(free_tier),
                    cold_start_ratio=float(cold_start_ratio), init_ms=float(init_ms),
                    ephemeral_storage_mb=int(ephemeral_storage_mb))
    cats = {k: float(v) for k, v in bill.by_category().items()}
    return CostResult(total_usd=float(bill.total_usd), by_category=cats, table=bill.table(), bill=bill)


def draw_cost(result: CostResult):
    """One horizontal bar per line item (free-tier credits in green, below zero)."""
    from ._shell import figure, money

    fig, ax = figure(7, 2.6, left=0.22, right=0.9, bottom=0.2, top=0.85)
    names = list(result.by_category)
    values = [result.by_category[n] for n in names]
    ax.barh(names, values, color=["#2ca02c" if v < 0 else "#1f77b4" for v in values])
    ax.axvline(0, color="k", linewidth=0.8)
    ax.set_xlabel("USD per month")
    ax.set_ylabel("line item")
    ax.set_title(f"total {money(result.total_usd)} a month", fontsize=10)
    return fig


def describe_cost(r: CostResult) -> str:
    """The summary: the total and the bill's table."""
    import html

    from ._shell import money

    return (f"<b>total {money(r.total_usd)} a month</b>"
            f"<pre style='font-size:78%;max-height:220px;overflow:auto'>{html.escape(r.table)}</pre>")


def cost_explorer(requests: int = 5_000_000, duration_ms: float = 120.0, memory: int = 512,
                  architecture: str = "x86_64", free_tier: bool = False, cold_start_ratio: float = 0.01,
                  init_ms: float = 400.0):
    """Requests, duration, memory, architecture, free tier, cold-start ratio and INIT -> the bill."""
    from ._shell import build, checkbox, selection, slider, toggles

    controls = {
        "requests": slider("log", requests, 4, 9, 0.25, "requests / month", readout_format=".3g"),
        "duration_ms": slider("int", duration_ms, 1, 3000, 1, "duration (ms)"),
        "memory": selection(MEMORY_SIZES, memory, "memory (MB)"),
        "cold_start_ratio": slider("float", cold_start_ratio, 0.0, 0.2, 0.005, "cold-start ratio",
                                   readout_format=".1%"),
        "init_ms": slider("int", init_ms, 0, 5000, 50, "INIT (ms)"),
        "architecture": toggles(("x86_64", "arm64"), architecture),
        "free_tier": checkbox(free_tier, "free tier"),
    }

    def compute(requests: float, **kw: Any) -> CostResult:
        return explore_cost(int(round(requests)), **kw)

    return build(controls, compute, draw_cost, describe_cost,
                 layout=[["requests", "duration_ms"], ["memory", "cold_start_ratio"], ["init_ms", "architecture",
                                                                                     "free_tier"]])
