"""Bills: what a month of Lambda would cost, from records, from a simulation, or from a guess.

Three ways in, one way out:

* :func:`bill_invocations` prices the :class:`~minilambda.records.Invocation` records a Cloud
  wrote (wall clock or virtual clock: the records are the same);
* :func:`bill_summary` prices the summary of a synthetic workload from ``minilambda.sim``;
* :func:`estimate` prices a workload described by a few numbers (what the ``cost`` command does).

All three add up the same usage (requests; GB-seconds per architecture, split into the part
spent in the handler and the part spent in INIT; ephemeral storage; provisioned concurrency;
API Gateway requests) and turn it into a :class:`Bill` of :class:`LineItem` rows. Amounts are
:class:`~decimal.Decimal` and exact; they are rounded only when shown.

How AWS computes it, and how we do:

* billed duration of one invocation = its duration rounded **up** to the next whole millisecond;
  since 1 August 2025 a cold start of an on-demand function on a managed runtime bills
  ``ceil(init + duration)``; custom runtimes (``provided.*``) and provisioned concurrency always
  did. ``bill_init=False`` applies the older rule, to show the difference;
* GB-seconds = billed seconds x MemorySize / 1024;
* duration prices fall in monthly volume tiers per architecture (6 B GB-s on x86_64, 7.5 B on
  arm64);
* the free tier (1 M requests and 400,000 GB-s a month) is an option, shown as credit lines.

AWS: https://aws.amazon.com/lambda/pricing/
Simplification: a bill covers one month of one region and one account; the free tier's GB-seconds
are the first ones of the month (priced at tier 1) and are taken from x86_64 before arm64; tiers
count all GB-seconds, free or not.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any, Iterable, Mapping, Sequence

from ..model.limits import PROVISIONED
from ..records import Invocation, Outcome, RecordLog
from ..records import billed_ms as _billed_ms
from .catalogue import (
    ARCHITECTURES,
    PriceCatalogue,
    PriceError,
    Tier,
    check_architecture,
    load_prices,
)

#: Decimal precision for bills: enough digits that no product or sum is ever rounded.
_CTX = Context(prec=60)
ZERO = Decimal(0)
MB_PER_GB = Decimal(1024)
MS_PER_S = Decimal(1000)

MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
MIN_STORAGE_MB = 512
MAX_STORAGE_MB = 10_240


class BillingInputError(PriceError):
    """An input to a bill is out of range (one line, naming the valid range)."""


# -- small helpers ----------------------------------------------------------------------------


def _d(x: Any) -> Decimal:
    """A Decimal from an int, float or string, without binary noise (0.1 -> 0.1, not 0.1000...)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, float):
        if not math.isfinite(x):
            raise BillingInputError(f"not a finite number: {x}")
        return Decimal(repr(x))
    return Decimal(str(x))


def gb_seconds(billed_ms: Any, memory_mb: Any) -> Decimal:
    """GB-seconds of *billed_ms* milliseconds at *memory_mb* MB, exactly (GB = MB / 1024).

    AWS: https://aws.amazon.com/lambda/pricing/ ("GB-s ... memory in GB, 1 GB = 1024 MB")
    """
    with localcontext(_CTX):
        return _d(billed_ms) / MS_PER_S * _d(memory_mb) / MB_PER_GB


def billed_duration_ms(duration_ms: float, init_ms: float = 0.0, *, bill_init: bool = True) -> int:
    """Billed milliseconds of one invocation: ``ceil(duration)``, or ``ceil(init + duration)``
    when its INIT is billed. Same rule as :func:`minilambda.records.billed_ms`.

    AWS: https://aws.amazon.com/lambda/pricing/ ("rounded up to the nearest 1 ms")
    """
    return _billed_ms(duration_ms, init_ms, bill_init=bill_init)


def init_is_billed(runtime: str, initialization_type: str = "on-demand", *, bill_init: bool = True) -> bool:
    """Whether a cold start's INIT time is added to the billed duration.

    Always for custom runtimes (``provided``, ``provided.al2``, ``provided.al2023``) and for
    provisioned concurrency; for on-demand functions on managed runtimes only under the rule in
    force since 1 August 2025 (``bill_init=True``).

    AWS: https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase
    Simplification: we cannot tell ZIP from container-image functions (images always billed INIT),
    and SnapStart's restore and cache charges are not modelled (``snap-start`` counts as on-demand).
    """
    if (runtime or "").startswith("provided"):
        return True
    if initialization_type == PROVISIONED:
        return True
    return bool(bill_init)


def _ladder(quantity: Decimal, tiers: Sequence[Tier], start: Decimal = ZERO) -> list[tuple[int, Tier, Decimal]]:
    """Split *quantity* over a volume ladder, starting *start* units up it (cumulative usage)."""
    out = []
    pos = start
    left = quantity
    with localcontext(_CTX):
        for i, tier in enumerate(tiers, 1):
            if left <= 0:
                break
            upper = tier.up_to
            if upper is not None and pos >= upper:
                continue
            room = left if upper is None else min(left, upper - pos)
            out.append((i, tier, room))
            left -= room
            pos += room
    return out


def _tier_note(i: int, tiers: Sequence[Tier], unit: str) -> str:
    lower = tiers[i - 2].up_to if i > 1 else ZERO
    upper = tiers[i - 1].up_to
    if upper is None:
        return f"over {_qty(lower)} {unit} a month"
    if i == 1:
        return f"first {_qty(upper)} {unit} a month"
    return f"next {_qty(upper - lower)} {unit} a month"


def _money(x: Decimal, places: int = 6) -> str:
    q = Decimal(1).scaleb(-places)
    return f"{x.quantize(q, rounding=ROUND_HALF_UP):,.{places}f}"


def _qty(x: Decimal | int) -> str:
    x = _d(x)
    if x == x.to_integral_value():
        return f"{int(x):,}"
    s = f"{x.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):,.4f}".rstrip("0").rstrip(".")
    return s


def _plain(x: Decimal) -> str:
    """A Decimal as plain digits (never scientific notation)."""
    s = format(x, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


def _num(x: Decimal) -> int | float:
    """A JSON-friendly number: int when whole, else float."""
    if x == x.to_integral_value():
        return int(x)
    return float(x)


def _check_range(name: str, value: Any, low: float, high: float | None, unit: str = "",
                 integer: bool = False) -> None:
    try:
        v = _d(value)
    except Exception:
        v = None
    ok = v is not None and v.is_finite() and v >= _d(low) and (high is None or v <= _d(high))
    if ok and integer and v != v.to_integral_value():
        ok = False
    if not ok:
        kind = "a whole number" if integer else "a number"
        rng = f"from {low:,} to {high:,}" if high is not None else f"of at least {low:,}"
        unit = f" {unit}" if unit else ""
        raise BillingInputError(f"{name} must be {kind} {rng}{unit} (got {value})")


def _catalogue(prices: PriceCatalogue | str | None) -> PriceCatalogue:
    if prices is None:
        return load_prices()
    if isinstance(prices, str):
        return load_prices(prices)
    return prices


# -- the result types -------------------------------------------------------------------------


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


# -- inputs describing configuration that records cannot show -------------------------------


@dataclass(frozen=True)
class Provisioned:
    """Provisioned concurrency configured on a function for *seconds* (a month is 2,628,000 s).

    It is charged per GB-second configured, used or not, from enable to disable rounded up to
    5 minutes; invocations that run on it pay a lower duration price.
    *function_name*, *memory_mb* and *architecture* default to those found in the records
    (or the estimate); *seconds* defaults to the simulated duration in :func:`bill_summary`.

    AWS: https://aws.amazon.com/lambda/pricing/#Provisioned_Concurrency_Pricing
    Simplification: the periodic recycling of provisioned environments (whose INIT AWS bills) is
    not modelled.
    """

    concurrency: int
    seconds: float | None = None
    function_name: str | None = None
    memory_mb: int | None = None
    architecture: str | None = None
    qualifier: str | None = None

    def billed_seconds(self, rounding: int = 300) -> Decimal:
        secs = _d(self.seconds or 0)
        blocks = (secs / rounding).to_integral_value(rounding=ROUND_CEILING)
        return blocks * rounding


@dataclass(frozen=True)
class ApiGateway:
    """API Gateway in front of the function: which kind of API and how big requests are.

    *requests* defaults to one per invocation (throttled ones included: API Gateway received
    them). HTTP APIs meter each request in 512 KB units, so a 1 MB request counts as 2; REST APIs
    count every request once.

    AWS: https://aws.amazon.com/api-gateway/pricing/
    Simplification: no caching, data transfer or WebSocket charges; the 12-month API Gateway free
    tier for new accounts is not applied.
    """

    api: str = "http"
    requests: int | None = None
    request_kb: float = 0.0

    def units_per_request(self, prices: PriceCatalogue) -> int:
        api = _api_prices(self.api, prices)
        if not api.unit_kb:
            return 1
        size = _d(self.request_kb)
        return max(1, int((size / api.unit_kb).to_integral_value(rounding=ROUND_CEILING)))


def _api_prices(kind: str, prices: PriceCatalogue):
    if kind not in prices.api_gateway:
        raise BillingInputError(f"unknown API Gateway API {kind!r}: choose one of "
                                f"{', '.join(prices.api_gateway)}")
    return prices.api_gateway[kind]


# -- usage: what happened, before prices --------------------------------------------------------


@dataclass
class _Usage:
    function_name: str
    architecture: str
    memory: Counter = field(default_factory=Counter)
    requests: int = 0
    throttles: int = 0
    cold_starts: int = 0
    billed_ms: Decimal = ZERO
    duration_gb_s: Decimal = ZERO  # on-demand, handler part
    init_gb_s: Decimal = ZERO  # on-demand, the extra billed because of INIT
    pc_requests: int = 0
    pc_gb_s: Decimal = ZERO  # invocations that ran on provisioned environments
    storage_gb_s: Decimal = ZERO  # ephemeral storage beyond the included 512 MB
    pc_configured_gb_s: Decimal = ZERO
    api_requests: int = 0  # requests seen by API Gateway (before metering units)

    @property
    def has_provisioned(self) -> bool:
        return self.pc_requests > 0 or self.pc_configured_gb_s > 0


def _add_totals(u: _Usage, *, requests: int, cold_starts: int, handler_ms: Any, total_ms: Any,
                memory_mb: int, provisioned: bool, storage_mb: int, included_mb: int) -> None:
    """Add *requests* invocations that together billed *total_ms* (of which *handler_ms* outside
    INIT) at *memory_mb* to *u*. GB-seconds are linear in milliseconds, so sums can be added."""
    handler_ms, total_ms = _d(handler_ms), _d(total_ms)
    with localcontext(_CTX):
        u.memory[int(memory_mb)] += requests
        u.requests += requests
        u.cold_starts += cold_starts
        u.billed_ms += total_ms
        if provisioned:
            u.pc_requests += requests
            u.pc_gb_s += gb_seconds(total_ms, memory_mb)
        else:
            u.duration_gb_s += gb_seconds(handler_ms, memory_mb)
            u.init_gb_s += gb_seconds(total_ms - handler_ms, memory_mb)
        extra_mb = max(0, int(storage_mb) - included_mb)
        if extra_mb:
            u.storage_gb_s += gb_seconds(total_ms, extra_mb)


def _add_invocation(u: _Usage, *, duration_ms: Any, init_ms: Any, memory_mb: int, cold: bool,
                    init_billed: bool, provisioned: bool, storage_mb: int, included_mb: int,
                    count: int = 1) -> None:
    """Add *count* identical invocations to *u*."""
    handler_ms = billed_duration_ms(float(duration_ms), 0.0)
    total_ms = billed_duration_ms(float(duration_ms), float(init_ms or 0.0), bill_init=init_billed)
    _add_totals(u, requests=count, cold_starts=count if cold else 0, handler_ms=handler_ms * count,
                total_ms=total_ms * count, memory_mb=memory_mb, provisioned=provisioned,
                storage_mb=storage_mb, included_mb=included_mb)


def _apply_provisioned(usages: dict[tuple[str, str], _Usage], provisioned: Any,
                       prices: PriceCatalogue, default_seconds: float | None = None) -> list[dict]:
    """Add configured provisioned concurrency to the usages; returns descriptions for the
    assumptions."""
    if provisioned is None:
        return []
    configs = [provisioned] if isinstance(provisioned, Provisioned) else list(provisioned)
    notes = []
    for pc in configs:
        if not isinstance(pc, Provisioned):
            raise BillingInputError("provisioned must be a Provisioned(...) or a list of them")
        _check_range("provisioned concurrency", pc.concurrency, 0, None, integer=True)
        name = pc.function_name
        names = sorted({k[0] for k in usages})
        if name is None:
            if len(names) != 1:
                raise BillingInputError("Provisioned(function_name=...) is needed when the bill has "
                                        f"{len(names)} functions")
            name = names[0]
        mine = [u for k, u in usages.items() if k[0] == name]
        arch = pc.architecture or (mine[0].architecture if mine else None)
        memory = pc.memory_mb
        if memory is None and mine:
            memory = sum((u.memory for u in mine), Counter()).most_common(1)[0][0]
        if arch is None or memory is None:
            raise BillingInputError(f"Provisioned for {name!r} needs memory_mb and architecture "
                                    "(no invocation records to take them from)")
        check_architecture(arch, prices)
        _check_range("provisioned memory", memory, MIN_MEMORY_MB, MAX_MEMORY_MB, "MB", integer=True)
        seconds = pc.seconds if pc.seconds is not None else default_seconds
        if seconds is None:
            raise BillingInputError("Provisioned(seconds=...) is needed: how long it was configured")
        _check_range("provisioned seconds", seconds, 0, None, "s")
        billed_s = Provisioned(pc.concurrency, seconds).billed_seconds(prices.provisioned_rounding_seconds)
        u = usages.get((name, arch))
        if u is None:
            u = usages[(name, arch)] = _Usage(name, arch)
        with localcontext(_CTX):
            u.pc_configured_gb_s += _d(pc.concurrency) * gb_seconds(billed_s * MS_PER_S, memory)
        notes.append({"function_name": name, "qualifier": pc.qualifier, "concurrency": pc.concurrency,
                      "memory_mb": int(memory), "architecture": arch, "seconds": float(seconds),
                      "billed_seconds": int(billed_s)})
    return notes


# -- from usage to a bill ------------------------------------------------------------------


def _make_bill(usages: dict[tuple[str, str], _Usage], prices: PriceCatalogue, *, free_tier: bool,
               api_gateway: ApiGateway | None, assumptions: dict[str, Any]) -> Bill:
    """Line items for requests, compute and INIT, storage, provisioned concurrency, API Gateway and
    the free tier; each function's share; the assumptions."""
    items: list[LineItem] = []
    with localcontext(_CTX):
        n_requests = sum(u.requests for u in usages.values())
        rp = prices.requests
        items.append(LineItem("Requests", _d(n_requests), "request", rp.usd, rp.usd * n_requests,
                              category="requests", verified=rp.verified))
        arch_cost, arch_gbs = _compute_items(usages, prices, items)
        _storage_items(usages, prices, items)
        _provisioned_items(usages, prices, items)
        api_cost, api_units = _api_gateway_items(usages, prices, api_gateway, items)
        if free_tier:
            _free_tier_items(usages, prices, items)
        functions = _function_costs(usages, prices, arch_cost, arch_gbs, api_cost, api_units)
    assumptions = dict(assumptions)
    assumptions.setdefault("region", prices.region)
    assumptions["free_tier"] = bool(free_tier)
    return Bill(line_items=tuple(items), functions=functions, region=prices.region,
                currency=prices.currency, assumptions=assumptions, prices_checked=prices.checked)


def _compute_items(usages: dict[tuple[str, str], _Usage], prices: PriceCatalogue,
                   items: list[LineItem]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """On-demand compute per architecture: handler GB-s first, then INIT GB-s, up the ladder."""
    arch_cost: dict[str, Decimal] = {}
    arch_gbs: dict[str, Decimal] = {}
    for arch in prices.architectures:
        mine = [u for u in usages.values() if u.architecture == arch]
        dur = sum((u.duration_gb_s for u in mine), ZERO)
        ini = sum((u.init_gb_s for u in mine), ZERO)
        tiers = prices.duration[arch]
        cost = ZERO
        for label, qty, start, cat in (("Compute", dur, ZERO, "compute"), ("INIT", ini, dur, "init")):
            for i, tier, part in _ladder(qty, tiers, start):
                c = part * tier.price.usd
                cost += c
                items.append(LineItem(f"{label} {arch}, tier {i}", part, "GB-second",
                                      tier.price.usd, c, category=cat, architecture=arch, tier=i,
                                      note=_tier_note(i, tiers, "GB-s"), verified=tier.price.verified))
        arch_cost[arch] = cost
        arch_gbs[arch] = dur + ini
    return arch_cost, arch_gbs


def _storage_items(usages: dict[tuple[str, str], _Usage], prices: PriceCatalogue, items: list[LineItem]) -> None:
    """Ephemeral storage beyond the included 512 MB."""
    storage = sum((u.storage_gb_s for u in usages.values()), ZERO)
    sp = prices.ephemeral_storage
    if storage:
        items.append(LineItem("Ephemeral storage", storage, "GB-second", sp.usd, storage * sp.usd,
                              category="storage", note=f"storage beyond the included {prices.storage_included_mb} MB",
                              verified=sp.verified))


def _provisioned_items(usages: dict[tuple[str, str], _Usage], prices: PriceCatalogue,
                       items: list[LineItem]) -> None:
    """Provisioned concurrency: configured GB-s, and the duration of invocations it served."""
    for arch in prices.architectures:
        mine = [u for u in usages.values() if u.architecture == arch]
        conf = sum((u.pc_configured_gb_s for u in mine), ZERO)
        used = sum((u.pc_gb_s for u in mine), ZERO)
        if conf:
            p = prices.provisioned_concurrency[arch]
            items.append(LineItem(f"Provisioned concurrency {arch}", conf, "GB-second", p.usd,
                                  conf * p.usd, category="provisioned", architecture=arch,
                                  note="configured, used or not", verified=p.verified))
        if used:
            p = prices.provisioned_duration[arch]
            items.append(LineItem(f"Compute {arch} on provisioned concurrency", used, "GB-second",
                                  p.usd, used * p.usd, category="provisioned", architecture=arch,
                                  note="invocations served by provisioned environments", verified=p.verified))


def _api_gateway_items(usages: dict[tuple[str, str], _Usage], prices: PriceCatalogue,
                       api_gateway: ApiGateway | None, items: list[LineItem]) -> tuple[Decimal, int]:
    """API Gateway requests up the price ladder; its cost and its billed units."""
    api_cost = ZERO
    if api_gateway is None:
        return api_cost, 0
    api = _api_prices(api_gateway.api, prices)
    api_units = sum(u.api_requests for u in usages.values()) * api_gateway.units_per_request(prices)
    name = {"http": "HTTP API", "rest": "REST API"}.get(api.kind, api.kind)
    unit = f"request ({api.unit_kb} KB)" if api.unit_kb else "request"
    for i, tier, part in _ladder(_d(api_units), api.tiers):
        c = part * tier.price.usd
        api_cost += c
        items.append(LineItem(f"API Gateway {name}, tier {i}", part, unit, tier.price.usd, c,
                              category="api_gateway", tier=i, note=_tier_note(i, api.tiers, "requests"),
                              verified=tier.price.verified))
    return api_cost, api_units


def _free_tier_items(usages: dict[tuple[str, str], _Usage], prices: PriceCatalogue, items: list[LineItem]) -> None:
    """Credits for the first requests and GB-seconds of functions without provisioned concurrency."""
    ft = prices.free_tier
    rp = prices.requests
    eligible = [u for u in usages.values() if not u.has_provisioned]
    free_req = min(ft.requests, sum(u.requests for u in eligible))
    if free_req:
        items.append(LineItem("Free tier: requests", -_d(free_req), "request", rp.usd, -rp.usd * free_req,
                              category="free_tier", note=f"{ft.requests:,} requests a month",
                              verified=rp.verified and ft.verified))
    left = ft.gb_seconds
    for arch in prices.architectures:
        gbs = sum((u.duration_gb_s + u.init_gb_s for u in eligible if u.architecture == arch), ZERO)
        free = min(left, gbs)
        if free > 0:
            p = prices.duration[arch][0].price
            items.append(LineItem(f"Free tier: compute {arch}", -free, "GB-second", p.usd, -free * p.usd,
                                  category="free_tier", architecture=arch,
                                  note=f"{_qty(ft.gb_seconds)} GB-s a month, x86_64 and arm64 together",
                                  verified=p.verified and ft.verified))
            left -= free


def _function_costs(usages, prices, arch_cost, arch_gbs, api_cost, api_units) -> tuple[FunctionCost, ...]:
    by_name: dict[str, list[_Usage]] = defaultdict(list)
    for u in usages.values():
        by_name[u.function_name].append(u)
    n_api = sum(u.api_requests for u in usages.values())
    out = []
    for name in sorted(by_name):
        cost = ZERO
        us = by_name[name]
        for u in us:
            od = u.duration_gb_s + u.init_gb_s
            if od:
                cost += od * arch_cost[u.architecture] / arch_gbs[u.architecture]
            cost += u.requests * prices.requests.usd
            cost += u.storage_gb_s * prices.ephemeral_storage.usd
            cost += u.pc_configured_gb_s * prices.provisioned_concurrency[u.architecture].usd
            cost += u.pc_gb_s * prices.provisioned_duration[u.architecture].usd
            if n_api:
                cost += api_cost * u.api_requests / n_api
        memory = sum((u.memory for u in us), Counter())
        out.append(FunctionCost(
            function_name=name,
            architectures=tuple(sorted({u.architecture for u in us})),
            memory_mb=tuple(sorted(memory)),
            requests=sum(u.requests for u in us),
            throttles=sum(u.throttles for u in us),
            cold_starts=sum(u.cold_starts for u in us),
            billed_ms=sum((u.billed_ms for u in us), ZERO),
            gb_seconds=sum((u.duration_gb_s + u.init_gb_s + u.pc_gb_s for u in us), ZERO),
            init_gb_seconds=sum((u.init_gb_s for u in us), ZERO),
            cost_usd=cost,
        ))
    return tuple(out)


def _init_rule(bill_init: bool, prices: PriceCatalogue) -> str:
    if bill_init:
        return (f"INIT billed for on-demand invocations (rule since {prices.init_billing_since}); "
                "always for provided.* runtimes and provisioned concurrency")
    return (f"INIT free for on-demand managed runtimes (rule before {prices.init_billing_since}); "
            "still billed for provided.* runtimes and provisioned concurrency")


# -- public entry points ---------------------------------------------------------------------


def _invocations_of(source: Any) -> list[Invocation]:
    """The Invocation records in *source*: a RecordLog, an iterable of records, or a Cloud (its ``records``)."""
    if isinstance(source, RecordLog):
        return list(source.invocations)
    if isinstance(source, Iterable):
        return [r for r in source if isinstance(r, Invocation)]
    return _invocations_of(source.records)  # a Cloud


def bill_invocations(records: Any, *, prices: PriceCatalogue | str | None = None, free_tier: bool = False,
                     bill_init: bool = True, provisioned: Provisioned | Iterable[Provisioned] | None = None,
                     api_gateway: ApiGateway | None = None) -> Bill:
    """The bill for a list of :class:`~minilambda.records.Invocation` records (or a Cloud, or its
    RecordLog): every invocation that reached an environment is billed; throttled ones are not.

    Each record's billed duration is recomputed from ``duration_ms`` and ``init_ms``
    (``ceil(init + duration)`` when INIT is billed, see :func:`init_is_billed`), so the same records
    can be billed under either INIT rule. Records with
    ``initialization_type == "provisioned-concurrency"`` pay the provisioned duration price; the
    configured concurrency itself is not in the records, so pass it as *provisioned*.

    AWS: https://aws.amazon.com/lambda/pricing/
    Simplification: a record without ``duration_ms`` but with ``billed_ms`` is billed as recorded.
    """
    cat = _catalogue(prices)
    usages: dict[tuple[str, str], _Usage] = {}
    included = cat.storage_included_mb
    # Sum whole milliseconds per group first (fast), then turn the sums into GB-seconds.
    groups: dict[tuple, list[int]] = {}
    for r in _invocations_of(records):
        arch = r.architecture
        key = (r.function_name, arch)
        u = usages.get(key)
        if u is None:
            check_architecture(arch, cat)
            u = usages[key] = _Usage(r.function_name, arch)
        u.api_requests += 1
        if r.outcome is Outcome.THROTTLED:
            u.throttles += 1
            continue
        init_type = r.initialization_type
        duration = r.duration_ms or 0.0
        init = r.init_ms or 0.0
        if not duration and not init and r.billed_ms:
            handler = total = int(r.billed_ms)
        else:
            handler = _billed_ms(duration, 0.0)
            total = handler if not init else _billed_ms(
                duration, init, bill_init=init_is_billed(r.runtime or "", init_type,
                                                         bill_init=bill_init))
        g = (key, r.memory_size_mb, r.ephemeral_storage_mb or 512, init_type == PROVISIONED)
        acc = groups.get(g)
        if acc is None:
            acc = groups[g] = [0, 0, 0, 0]
        acc[0] += 1
        acc[1] += 1 if r.cold else 0
        acc[2] += handler
        acc[3] += total
    for (key, memory, storage, is_pc), (n, colds, handler_ms, total_ms) in groups.items():
        _add_totals(usages[key], requests=n, cold_starts=colds, handler_ms=handler_ms, total_ms=total_ms,
                    memory_mb=memory, provisioned=is_pc, storage_mb=storage, included_mb=included)
    assumptions: dict[str, Any] = {
        "source": "invocation records",
        "init_rule": _init_rule(bill_init, cat),
        "rounding": "each invocation rounded up to the next 1 ms; GB = MB / 1024",
    }
    return _finish(usages, cat, assumptions, provisioned=provisioned, api_gateway=api_gateway, free_tier=free_tier)


def _finish(usages: dict[tuple[str, str], _Usage], cat: PriceCatalogue, assumptions: dict[str, Any], *,
            provisioned: Any, api_gateway: Any, free_tier: bool, default_seconds: float | None = None) -> "Bill":
    """What every bill does last: provisioned concurrency, API Gateway requests, then the line items."""
    pcs = _apply_provisioned(usages, provisioned, cat, default_seconds=default_seconds)
    if pcs:
        assumptions["provisioned"] = pcs
    if api_gateway is not None:
        if api_gateway.requests is not None:
            _spread_api_requests(usages, api_gateway.requests)
        assumptions["api_gateway"] = {"api": api_gateway.api, "request_kb": api_gateway.request_kb}
    else:
        for u in usages.values():
            u.api_requests = 0
    return _make_bill(usages, cat, free_tier=free_tier, api_gateway=api_gateway, assumptions=assumptions)


def _spread_api_requests(usages: dict[tuple[str, str], _Usage], total: int) -> None:
    """Replace per-function API request counts by *total*, shared in proportion."""
    _check_range("API Gateway requests", total, 0, None, integer=True)
    us = list(usages.values())
    seen = sum(u.api_requests for u in us)
    if not us:
        return
    assigned = 0
    for u in us[:-1]:
        share = total * u.api_requests // seen if seen else 0
        u.api_requests = share
        assigned += share
    us[-1].api_requests = int(total) - assigned


def bill_summary(summary: Any, *, prices: PriceCatalogue | str | None = None, free_tier: bool = False,
                 bill_init: bool = True, provisioned: Provisioned | Iterable[Provisioned] | None = None,
                 api_gateway: ApiGateway | None = None, function_name: str | None = None,
                 ephemeral_storage_mb: int | None = None, runtime: str | None = None) -> Bill:
    """The bill for a simulator summary (any object with ``requests, throttles, cold_starts,
    billed_ms_total, gb_seconds, memory_mb, architecture, init_ms_total, duration``).

    ``requests`` counts every arrival, throttled ones included; throttled requests are not billed.
    ``billed_ms_total`` is taken to include INIT, as AWS bills today (a summary attribute
    ``bill_init=False`` says it does not); with ``bill_init=False`` the INIT milliseconds are
    taken out again. *provisioned* defaults its ``seconds`` to the simulated ``duration``.

    AWS: https://aws.amazon.com/lambda/pricing/
    Simplification: a summary has totals, not invocations, so switching the INIT rule subtracts
    ``init_ms_total`` rather than re-rounding each cold start (at most 1 ms per cold start off);
    requests served by provisioned environments come from ``provisioned_requests`` and
    ``provisioned_billed_ms_total`` when the summary has them; free tier and tiers apply as if the
    simulated period were the whole month.
    """
    cat = _catalogue(prices)
    name = function_name or getattr(summary, "function_name", None) or "simulated"
    arch = getattr(summary, "architecture", "x86_64") or "x86_64"
    check_architecture(arch, cat)
    memory = int(summary.memory_mb)
    _check_range("memory", memory, MIN_MEMORY_MB, MAX_MEMORY_MB, "MB", integer=True)
    requests = int(summary.requests)
    throttles = int(getattr(summary, "throttles", 0) or 0)
    billed_requests = requests - throttles
    if billed_requests < 0:
        raise BillingInputError(f"summary has more throttles ({throttles}) than requests ({requests})")
    rt = runtime or getattr(summary, "runtime", None) or "python3.12"
    init_billed = init_is_billed(rt, bill_init=bill_init)
    init_total = _d(getattr(summary, "init_ms_total", 0) or 0)
    billed_total = getattr(summary, "billed_ms_total", None)
    with localcontext(_CTX):
        if billed_total is None:
            billed_total = _d(summary.gb_seconds) * MB_PER_GB * MS_PER_S / memory
        billed_total = _d(billed_total)
        includes_init = bool(getattr(summary, "bill_init", True))
        handler_ms = billed_total - init_total if includes_init else billed_total
        handler_ms = max(handler_ms, ZERO)
        init_part = init_total if init_billed else ZERO
        storage = ephemeral_storage_mb or getattr(summary, "ephemeral_storage_mb", 512) or 512
        _check_range("ephemeral storage", storage, MIN_STORAGE_MB, MAX_STORAGE_MB, "MB", integer=True)
        u = _Usage(name, arch)
        u.memory[memory] += billed_requests
        u.requests = billed_requests
        u.throttles = throttles
        u.cold_starts = int(getattr(summary, "cold_starts", 0) or 0)
        u.billed_ms = handler_ms + init_part
        # Requests served by provisioned environments (always warm) pay the provisioned duration price.
        pc_ms = min(_d(getattr(summary, "provisioned_billed_ms_total", 0) or 0), handler_ms)
        u.pc_requests = int(getattr(summary, "provisioned_requests", 0) or 0)
        u.pc_gb_s = gb_seconds(pc_ms, memory)
        u.duration_gb_s = gb_seconds(handler_ms - pc_ms, memory)
        u.init_gb_s = gb_seconds(init_part, memory)
        extra = int(storage) - cat.storage_included_mb
        if extra > 0:
            u.storage_gb_s = gb_seconds(handler_ms + init_part, extra)
        u.api_requests = requests
    usages = {(name, arch): u}
    seconds = getattr(summary, "duration", None)
    assumptions: dict[str, Any] = {
        "source": "simulator summary",
        "simulated_seconds": float(seconds) if seconds is not None else None,
        "init_rule": _init_rule(bill_init, cat),
        "rounding": "billed_ms_total from the simulator (each invocation rounded up to 1 ms)",
    }
    return _finish(usages, cat, assumptions, provisioned=provisioned, api_gateway=api_gateway, free_tier=free_tier,
                   default_seconds=seconds)


def estimate(requests: int, duration_ms: float, memory_mb: int, architecture: str = "x86_64", *,
             init_ms: float = 0, cold_start_ratio: float = 0, ephemeral_storage_mb: int = 512,
             free_tier: bool = False, bill_init: bool = True, runtime: str = "python3.12",
             provisioned: Provisioned | None = None, provisioned_share: float | None = None,
             api_gateway: ApiGateway | None = None, prices: PriceCatalogue | str | None = None,
             function_name: str = "function") -> Bill:
    """The monthly bill of *requests* invocations lasting *duration_ms* each at *memory_mb* MB.

    *duration_ms* may be fractional: each invocation is rounded up to the next millisecond
    (0.1 ms bills 1 ms, 100.01 ms bills 101 ms). A share *cold_start_ratio* of the on-demand
    invocations are cold starts with *init_ms* of INIT each (rounded to a whole number of cold
    starts). With *provisioned*, a share *provisioned_share* (default: all) of the requests run
    on provisioned environments.

    Worked examples (us-east-1, x86_64):

    * 1 M requests of 100 ms at 512 MB, no free tier: 1,000,000 x $0.0000002 = $0.20 for
      requests, plus 1,000,000 x 0.1 s x 0.5 GB = 50,000 GB-s x $0.0000166667 = $0.833335;
      total $1.033335.
    * AWS's pricing-page example, 3 M requests of 1 s at 512 MB with the free tier:
      1,500,000 GB-s - 400,000 free = 1,100,000 GB-s x $0.0000166667 = $18.33337, plus
      (3 M - 1 M) x $0.20 per million = $0.40; total $18.73337, i.e. **$18.73**. The pricing page
      prints $18.34 + $0.40 = $18.74 because it rounds the price to $0.00001667 per GB-s
      (1,100,000 x $0.00001667 = $18.337); the price list's exact rate is $0.0000166667.

    AWS: https://aws.amazon.com/lambda/pricing/
    Simplification: every invocation lasts exactly *duration_ms*; a month is whatever the
    request count says.
    """
    cat = _catalogue(prices)
    _check_estimate(cat, requests=requests, duration_ms=duration_ms, memory_mb=memory_mb, architecture=architecture,
                    init_ms=init_ms, cold_start_ratio=cold_start_ratio, ephemeral_storage_mb=ephemeral_storage_mb,
                    provisioned_share=provisioned_share)
    n = int(requests)
    share = _d(provisioned_share if provisioned_share is not None else (1 if provisioned else 0))
    n_pc = int((n * share).to_integral_value(rounding=ROUND_HALF_UP)) if provisioned else 0
    n_cold = int(((n - n_pc) * _d(cold_start_ratio)).to_integral_value(rounding=ROUND_HALF_UP))
    u = _estimated_usage(cat, function_name, architecture, n, n_pc, n_cold, duration_ms=duration_ms,
                         init_ms=init_ms, memory_mb=memory_mb, ephemeral_storage_mb=ephemeral_storage_mb,
                         init_billed=init_is_billed(runtime, bill_init=bill_init))
    usages = {(function_name, architecture): u}
    pcs = []
    if provisioned is not None:
        pc = Provisioned(provisioned.concurrency, provisioned.seconds, function_name,
                         provisioned.memory_mb or int(memory_mb),
                         provisioned.architecture or architecture, provisioned.qualifier)
        pcs = _apply_provisioned(usages, pc, cat)
    assumptions: dict[str, Any] = {
        "source": "estimate", "requests": n, "duration_ms": float(duration_ms),
        "billed_ms_per_invocation": billed_duration_ms(float(duration_ms)), "memory_mb": int(memory_mb),
        "architecture": architecture, "runtime": runtime, "init_ms": float(init_ms),
        "cold_start_ratio": float(cold_start_ratio), "cold_starts": n_cold,
        "ephemeral_storage_mb": int(ephemeral_storage_mb), "init_rule": _init_rule(bill_init, cat),
        "rounding": "each invocation rounded up to the next 1 ms; GB = MB / 1024",
    }
    if pcs:
        assumptions["provisioned"] = pcs
        assumptions["provisioned_requests"] = n_pc
    if api_gateway is not None:
        if api_gateway.requests is not None:
            _spread_api_requests(usages, api_gateway.requests)
        assumptions["api_gateway"] = {"api": api_gateway.api, "request_kb": api_gateway.request_kb}
    else:
        u.api_requests = 0
    return _make_bill(usages, cat, free_tier=free_tier, api_gateway=api_gateway, assumptions=assumptions)


def _check_estimate(cat: PriceCatalogue, *, requests: Any, duration_ms: Any, memory_mb: Any, architecture: str,
                    init_ms: Any, cold_start_ratio: Any, ephemeral_storage_mb: Any, provisioned_share: Any) -> None:
    """Refuse what ``estimate`` cannot price, saying what to fix."""
    _check_range("requests", requests, 0, None, integer=True)
    _check_range("duration_ms", duration_ms, 0, None, "ms")
    _check_range("memory", memory_mb, MIN_MEMORY_MB, MAX_MEMORY_MB, "MB", integer=True)
    check_architecture(architecture, cat)
    _check_range("init_ms", init_ms, 0, None, "ms")
    _check_range("cold_start_ratio", cold_start_ratio, 0, 1)
    _check_range("ephemeral storage", ephemeral_storage_mb, MIN_STORAGE_MB, MAX_STORAGE_MB, "MB", integer=True)
    if provisioned_share is not None:
        _check_range("provisioned_share", provisioned_share, 0, 1)


def _estimated_usage(cat: PriceCatalogue, function_name: str, architecture: str, n: int, n_pc: int, n_cold: int, *,
                     duration_ms: float, init_ms: float, memory_mb: int, ephemeral_storage_mb: int,
                     init_billed: bool) -> _Usage:
    """The usage of *n* identical invocations: warm and cold on demand, and on provisioned environments."""
    u = _Usage(function_name, architecture)
    common = dict(memory_mb=int(memory_mb), storage_mb=int(ephemeral_storage_mb), included_mb=cat.storage_included_mb,
                  duration_ms=duration_ms)
    n_warm = n - n_pc - n_cold
    if n_warm:
        _add_invocation(u, init_ms=0, cold=False, init_billed=init_billed, provisioned=False, count=n_warm, **common)
    if n_cold:
        _add_invocation(u, init_ms=init_ms, cold=True, init_billed=init_billed, provisioned=False, count=n_cold,
                        **common)
    if n_pc:
        _add_invocation(u, init_ms=0, cold=False, init_billed=True, provisioned=True, count=n_pc, **common)
    u.api_requests = n
    return u


__all__ = [
    "ARCHITECTURES",
    "ApiGateway",
    "Bill",
    "BillingInputError",
    "FunctionCost",
    "LineItem",
    "Provisioned",
    "bill_invocations",
    "bill_summary",
    "billed_duration_ms",
    "estimate",
    "gb_seconds",
    "init_is_billed",
]
