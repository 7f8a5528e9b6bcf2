"""The price catalogue: AWS's Lambda (and API Gateway) prices as data, each with its source.

The figures live in ``prices.json`` next to this file, one entry per region, so a teacher can
check them against the pricing page and add a region without touching code. They are read into
frozen dataclasses holding :class:`~decimal.Decimal` values: a bill is a sum of many tiny products
(``$0.0000166667`` per GB-second) and binary floats would lose cents on large workloads.

AWS: https://aws.amazon.com/lambda/pricing/
Simplification: one catalogue per region and month; Savings Plans, data transfer, CloudWatch Logs
and the newer Lambda Managed Instances / durable functions prices are not included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

DEFAULT_REGION = "us-east-1"
ARCHITECTURES = ("x86_64", "arm64")


class PriceError(ValueError):
    """A price catalogue could not be found or read (for example an unknown region)."""


@dataclass(frozen=True)
class Price:
    """One unit price in US dollars, with where it came from.

    ``verified`` is False where the fact sheet could not confirm the figure; bills flag the
    line items that use such a price.
    """

    usd: Decimal
    unit: str
    source: str
    checked: str
    verified: bool = True
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"usd": str(self.usd), "unit": self.unit, "source": self.source,
                "checked": self.checked, "verified": self.verified, "note": self.note}


@dataclass(frozen=True)
class Tier:
    """One step of a monthly volume ladder: *price* applies up to *up_to* (cumulative), or
    without limit when *up_to* is None."""

    up_to: Decimal | None
    price: Price


@dataclass(frozen=True)
class FreeTier:
    """Lambda's monthly always-free allowance.

    AWS: https://aws.amazon.com/lambda/pricing/ ("The AWS Lambda free tier includes one million
    free requests per month and 400,000 GB-seconds of compute time per month")
    """

    requests: int
    gb_seconds: Decimal
    source: str
    checked: str
    verified: bool = True
    note: str = ""


@dataclass(frozen=True)
class ApiGatewayPrices:
    """Request prices of one kind of API Gateway API (``"http"`` or ``"rest"``).

    ``unit_kb`` is the metering increment: HTTP APIs count each 512 KB of a request as one
    request (a 1 MB request counts as 2); REST APIs count every request once (None).
    """

    kind: str
    tiers: tuple[Tier, ...]
    unit_kb: int | None


@dataclass(frozen=True)
class PriceCatalogue:
    """All prices minilambda needs for one region.

    Build one with :func:`load_prices`. Amounts are ``Decimal``; GB-seconds use GB = MB / 1024.
    """

    region: str
    region_name: str
    checked: str
    currency: str
    requests: Price
    duration: Mapping[str, tuple[Tier, ...]]
    ephemeral_storage: Price
    storage_included_mb: int
    provisioned_concurrency: Mapping[str, Price]
    provisioned_duration: Mapping[str, Price]
    provisioned_rounding_seconds: int
    free_tier: FreeTier
    init_billing_since: str
    init_billing_source: str
    api_gateway: Mapping[str, ApiGatewayPrices]
    month_hours: int = 730
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def architectures(self) -> tuple[str, ...]:
        """The instruction set architectures this catalogue prices (``x86_64``, ``arm64``)."""
        return tuple(self.duration)

    def duration_tiers(self, architecture: str) -> tuple[Tier, ...]:
        """The on-demand duration ladder (price per GB-second) for an architecture."""
        check_architecture(architecture, self)
        return self.duration[architecture]

    def unverified(self) -> list[tuple[str, Price]]:
        """Every price the fact sheet marks unverified, as ``(name, price)`` pairs."""
        out: list[tuple[str, Price]] = []
        if not self.requests.verified:
            out.append(("requests", self.requests))
        for arch, tiers in self.duration.items():
            for i, t in enumerate(tiers, 1):
                if not t.price.verified:
                    out.append((f"duration {arch} tier {i}", t.price))
        if not self.ephemeral_storage.verified:
            out.append(("ephemeral storage", self.ephemeral_storage))
        for arch, p in self.provisioned_concurrency.items():
            if not p.verified:
                out.append((f"provisioned concurrency {arch}", p))
        for arch, p in self.provisioned_duration.items():
            if not p.verified:
                out.append((f"duration on provisioned concurrency {arch}", p))
        for kind, api in self.api_gateway.items():
            for i, t in enumerate(api.tiers, 1):
                if not t.price.verified:
                    out.append((f"API Gateway {kind} tier {i}", t.price))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The catalogue as it was read from JSON (plain data)."""
        return json.loads(json.dumps(self.raw))


def check_architecture(architecture: str, prices: PriceCatalogue | None = None) -> str:
    valid = prices.architectures if prices is not None else ARCHITECTURES
    if architecture not in valid:
        raise PriceError(f"unknown architecture {architecture!r}: choose one of {', '.join(valid)}")
    return architecture


def _price(d: Mapping[str, Any]) -> Price:
    return Price(usd=Decimal(str(d["usd"])), unit=d.get("unit", ""), source=d.get("source", ""),
                 checked=d.get("checked", ""), verified=bool(d.get("verified", True)),
                 note=d.get("note", ""))


def _tiers(rows: list[Mapping[str, Any]], key: str) -> tuple[Tier, ...]:
    tiers = []
    for row in rows:
        up = row.get(key)
        tiers.append(Tier(up_to=None if up is None else Decimal(str(up)), price=_price(row)))
    if not tiers or tiers[-1].up_to is not None:
        raise PriceError(f"a price ladder must end with an unlimited tier ({key}: null)")
    return tuple(tiers)


def _read_json(path: str | Path | None) -> dict[str, Any]:
    if path is None:
        text = resources.files("minilambda.billing").joinpath("prices.json").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    return json.loads(text)


def available_regions(path: str | Path | None = None) -> tuple[str, ...]:
    """The regions the catalogue file has prices for."""
    return tuple(_read_json(path)["regions"])


@lru_cache(maxsize=None)
def _load(region: str, path: str | None) -> PriceCatalogue:
    data = _read_json(path)
    regions = data.get("regions", {})
    if region not in regions:
        raise PriceError(f"unknown region {region!r}: prices are available for "
                         f"{', '.join(regions) or 'no region'}")
    r = regions[region]
    lam = r["lambda"]
    storage = lam["ephemeral_storage"]
    free = lam["free_tier"]
    init = lam["init_billing"]
    apis = {
        kind: ApiGatewayPrices(kind=kind, tiers=_tiers(api["tiers"], "up_to_requests"),
                               unit_kb=api.get("unit_kb"))
        for kind, api in r.get("api_gateway", {}).items()
    }
    return PriceCatalogue(
        region=region,
        region_name=r.get("name", region),
        checked=r.get("checked", ""),
        currency=data.get("currency", "USD"),
        requests=_price(lam["requests"]),
        duration=MappingProxyType({a: _tiers(rows, "up_to_gb_seconds")
                                   for a, rows in lam["duration"].items()}),
        ephemeral_storage=_price(storage),
        storage_included_mb=int(storage.get("included_mb", 512)),
        provisioned_concurrency=MappingProxyType(
            {a: _price(p) for a, p in lam["provisioned_concurrency"].items()}),
        provisioned_duration=MappingProxyType(
            {a: _price(p) for a, p in lam["provisioned_duration"].items()}),
        provisioned_rounding_seconds=int(lam.get("provisioned_rounding_seconds", 300)),
        free_tier=FreeTier(requests=int(free["requests"]), gb_seconds=Decimal(str(free["gb_seconds"])),
                           source=free.get("source", ""), checked=free.get("checked", ""),
                           verified=bool(free.get("verified", True)), note=free.get("note", "")),
        init_billing_since=init.get("since", ""),
        init_billing_source=init.get("source", ""),
        api_gateway=MappingProxyType(apis),
        month_hours=int(data.get("month_hours", 730)),
        raw=MappingProxyType(r),
    )


def load_prices(region: str = DEFAULT_REGION, *, path: str | Path | None = None) -> PriceCatalogue:
    """Load the price catalogue of *region* (``us-east-1`` by default).

    *path* points at another JSON file with the same layout as the packaged ``prices.json``
    (to try other prices, or a region we do not ship). Results are cached; catalogues are frozen.

    AWS: https://aws.amazon.com/lambda/pricing/
    Simplification: only us-east-1 is shipped; other regions are added as data.
    """
    return _load(region, None if path is None else str(path))
