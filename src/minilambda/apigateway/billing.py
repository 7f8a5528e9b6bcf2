"""What API Gateway requests cost, from the Cloud's ``ApiRequest`` records and ``prices.json``.

REST APIs: each request counts once ($3.50 per million for the first 333 million in us-east-1);
HTTP APIs: each 512 KB of a request counts as one request ($1.00 per million for the first 300
million). Monthly volume tiers apply in order. Stage caches are billed per started hour
while enabled (``cache_charges``; only the 0.5 GB price is known, from a secondary source). Not
included: the 12-month free tier, data transfer; WebSocket messages and connection minutes are
billed by the WebSocket module.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from ..billing.catalogue import PriceCatalogue, load_prices
from .records import ApiRequest


@dataclass(frozen=True)
class ApiCharge:
    """The charge for one kind of API (``"rest"`` or ``"http"``) over a set of records."""

    kind: str
    requests: int
    metered_requests: int
    usd: Decimal
    verified: bool


def _tiered(quantity: int, tiers) -> tuple[Decimal, bool]:
    total, used, verified = Decimal(0), 0, True
    for tier in tiers:
        if used >= quantity:
            break
        upper = quantity if tier.up_to is None else min(quantity, int(tier.up_to))
        part = max(0, upper - used)
        total += part * tier.price.usd
        verified = verified and (tier.price.verified or part == 0)
        used += part
    return total, verified


def api_request_charges(records: Iterable[ApiRequest], prices: PriceCatalogue | None = None,
                        region: str = "us-east-1") -> dict[str, ApiCharge]:
    """The month's API Gateway request charges by API kind (all records as one month)."""
    prices = prices or load_prices(region)
    counts: dict[str, list[int]] = {}
    for record in records:
        kind = {"REST": "rest", "HTTP": "http"}.get(record.api_type)
        if kind is None or kind not in prices.api_gateway:
            continue
        unit_kb = prices.api_gateway[kind].unit_kb
        entry = counts.setdefault(kind, [0, 0])
        entry[0] += 1
        entry[1] += record.metered_units(unit_kb)
    charges = {}
    for kind, (requests, metered) in counts.items():
        usd, verified = _tiered(metered, prices.api_gateway[kind].tiers)
        charges[kind] = ApiCharge(kind, requests, metered, usd, verified)
    return charges


@dataclass(frozen=True)
class CacheCharge:
    """A stage cache's hours and their price (None when the size's price is not in prices.json)."""

    api_id: str
    stage: str
    size_gb: str
    hours: int
    usd: Decimal | None
    verified: bool


def cache_charges(caches: Iterable[tuple[str, str, str, float]], now: float, prices: PriceCatalogue | None = None,
                  region: str = "us-east-1") -> list[CacheCharge]:
    """Charges for stage caches given as ``(api id, stage, size in GB, enabled since)`` up to *now*."""
    import math

    prices = prices or load_prices(region)
    table = (prices.raw.get("api_gateway_cache") or {}).get("sizes_gb", {})
    charges = []
    for api_id, stage, size, since in caches:
        hours = max(1, math.ceil((now - since) / 3600.0))
        entry = table.get(size)
        usd = Decimal(entry["usd_per_hour"]) * hours if entry else None
        charges.append(CacheCharge(api_id, stage, size, hours, usd, bool(entry and entry.get("verified"))))
    return charges
