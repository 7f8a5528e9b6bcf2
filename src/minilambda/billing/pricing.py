"""From usage to a bill: each kind of line item up its price ladder, the free tier, each function's share."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal, localcontext
from typing import Any

from ._common import ZERO, _CTX, _d, _ladder, _qty, _tier_note
from .catalogue import PriceCatalogue
from .items import Bill, FunctionCost, LineItem
from .usage import ApiGateway, _Usage, _api_prices


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
