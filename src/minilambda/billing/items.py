"""What a bill is made of: line items, each function's share, and the bill itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Mapping, Sequence

from ._common import ZERO, _CTX, _money, _num, _plain, _qty, gb_seconds


@dataclass(frozen=True)
class LineItem:
    """One row of a bill: *quantity* *unit* at *unit_price_usd* each costs *cost_usd*.

    Credits (the free tier) have a negative quantity and cost. ``verified`` is False when the
    unit price could not be confirmed in an AWS source.
    """

    item: str
    quantity: Decimal
    unit: str
    unit_price_usd: Decimal
    cost_usd: Decimal
    category: str = ""
    architecture: str | None = None
    tier: int | None = None
    note: str = ""
    verified: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain data: numbers as int/float (exact strings in ``*_exact``)."""
        return {
            "item": self.item,
            "quantity": _num(self.quantity),
            "unit": self.unit,
            "unit_price_usd": float(self.unit_price_usd),
            "cost_usd": float(self.cost_usd),
            "cost_usd_exact": _plain(self.cost_usd),
            "unit_price_usd_exact": _plain(self.unit_price_usd),
            "category": self.category,
            "architecture": self.architecture,
            "tier": self.tier,
            "note": self.note,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class FunctionCost:
    """One function's share of a bill, before the free tier (an account-wide allowance).

    Simplification: where a month's GB-seconds cross a volume tier, each function is charged the
    architecture's average price per GB-second.
    """

    function_name: str
    architectures: tuple[str, ...]
    memory_mb: tuple[int, ...]
    requests: int
    throttles: int
    cold_starts: int
    billed_ms: Decimal
    gb_seconds: Decimal
    init_gb_seconds: Decimal
    cost_usd: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "function_name": self.function_name,
            "architectures": list(self.architectures),
            "memory_mb": list(self.memory_mb),
            "requests": self.requests,
            "throttles": self.throttles,
            "cold_starts": self.cold_starts,
            "billed_ms": _num(self.billed_ms),
            "gb_seconds": _num(self.gb_seconds),
            "init_gb_seconds": _num(self.init_gb_seconds),
            "cost_usd": float(self.cost_usd),
            "cost_usd_exact": _plain(self.cost_usd),
        }


@dataclass(frozen=True)
class Bill:
    """A month's bill: line items, their total, and each function's share.

    ``str(bill)`` (or ``bill.table()``) is a readable table; ``bill.to_dict()`` is plain data for
    JSON or ``pandas.DataFrame(bill.to_dict()["line_items"])``.
    """

    line_items: tuple[LineItem, ...]
    functions: tuple[FunctionCost, ...]
    region: str
    currency: str = "USD"
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    prices_checked: str = ""

    @property
    def total_usd(self) -> Decimal:
        """The exact total (round it only to show it)."""
        with localcontext(_CTX):
            return sum((li.cost_usd for li in self.line_items), ZERO)

    def total(self, category: str | None = None) -> Decimal:
        """Total of one category (``requests``, ``compute``, ``init``, ``storage``,
        ``provisioned``, ``api_gateway``, ``free_tier``), or of everything."""
        if category is None:
            return self.total_usd
        with localcontext(_CTX):
            return sum((li.cost_usd for li in self.line_items if li.category == category), ZERO)

    def by_category(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        with localcontext(_CTX):
            for li in self.line_items:
                out[li.category] = out.get(li.category, ZERO) + li.cost_usd
        return out

    @property
    def total_cents(self) -> Decimal:
        """The total rounded to the cent, as an invoice would show it."""
        return self.total_usd.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def item(self, name: str) -> LineItem:
        """The line item called *name* (KeyError if there is none)."""
        for li in self.line_items:
            if li.item == name:
                return li
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "currency": self.currency,
            "prices_checked": self.prices_checked,
            "total_usd": float(self.total_usd),
            "total_usd_exact": _plain(self.total_usd),
            "total_usd_rounded": float(self.total_cents),
            "line_items": [li.to_dict() for li in self.line_items],
            "functions": [f.to_dict() for f in self.functions],
            "assumptions": dict(self.assumptions),
            "unverified_prices": sorted({li.item for li in self.line_items if not li.verified}),
        }

    def table(self) -> str:
        rows = [("Item", "Quantity", "Unit", "Unit price (USD)", "Cost (USD)")]
        for li in self.line_items:
            price = _plain(li.unit_price_usd) + ("" if li.verified else " *")
            rows.append((li.item, _qty(li.quantity), li.unit, price, _money(li.cost_usd)))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        total = self.total_usd

        def fmt(r: Sequence[str]) -> str:
            return "  ".join((r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2]),
                              r[3].rjust(widths[3]), r[4].rjust(widths[4])))

        rule = "-" * len(fmt(rows[0]))
        lines = [f"AWS Lambda bill, {self.region} (prices checked {self.prices_checked})", rule,
                 fmt(rows[0]), rule]
        lines += [fmt(r) for r in rows[1:]]
        lines.append(rule)
        lines.append(fmt(("Total", "", "", "", _money(total))).rstrip()
                     + f"   = ${self.total_cents:,.2f}")
        if any(not li.verified for li in self.line_items):
            lines.append("* price not confirmed in an AWS source (see billing/prices.json)")
        if len(self.functions) > 1 or (self.functions and self.functions[0].throttles):
            lines.append("")
            lines.append("By function (before the free tier):")
            w = max(len(f.function_name) for f in self.functions)
            for f in self.functions:
                lines.append(f"  {f.function_name.ljust(w)}  {f.requests:>12,} requests  "
                             f"{f.throttles:>8,} throttled  {_qty(f.gb_seconds):>16} GB-s  "
                             f"${_money(f.cost_usd)}")
        notes = [f"{k}: {v}" for k, v in self.assumptions.items()]
        if notes:
            lines.append("")
            lines.append("Assumptions:")
            lines += [f"  {n}" for n in notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()
