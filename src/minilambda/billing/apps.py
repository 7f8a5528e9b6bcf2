"""Prices of what a serverless app uses besides Lambda and API Gateway: DynamoDB on-demand
requests and storage, and Cognito monthly active users (figures in ``prices.json``).

AWS: https://aws.amazon.com/dynamodb/pricing/on-demand/, https://aws.amazon.com/cognito/pricing/
Simplification: DynamoDB Standard table class, no backups, streams read by Lambda are free;
Cognito users who sign in directly (no SAML/OIDC federation, no M2M client credentials).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .bill import LineItem, _catalogue, _d
from .catalogue import PriceCatalogue

ZERO = Decimal(0)


@dataclass(frozen=True)
class DynamoDBUsage:
    """A month of on-demand DynamoDB: request units and average stored GB."""

    read_units: float = 0.0
    write_units: float = 0.0
    storage_gb: float = 0.0


def _row(item: str, quantity: Decimal, unit: str, price: dict[str, Any], category: str) -> LineItem:
    unit_price = Decimal(price["usd"])
    return LineItem(item, quantity, unit, unit_price, quantity * unit_price, category, note=price.get("note", ""),
                    verified=bool(price.get("verified", True)))


def dynamodb_cost(usage: DynamoDBUsage, *, prices: PriceCatalogue | str | None = None) -> list[LineItem]:
    """Line items for a month of on-demand DynamoDB (storage after the 25 GB free allowance)."""
    raw = _catalogue(prices).raw["dynamodb"]
    od = raw["on_demand"]
    storage = raw["storage"]
    billable_gb = max(ZERO, _d(usage.storage_gb) - Decimal(storage.get("free_gb", 0)))
    return [_row("DynamoDB write request units", _d(usage.write_units), "WRU", od["write_request_units"], "dynamodb"),
            _row("DynamoDB read request units", _d(usage.read_units), "RRU", od["read_request_units"], "dynamodb"),
            _row("DynamoDB storage", billable_gb, "GB-month", storage, "dynamodb")]


def cognito_cost(mau: int, *, tier: str | None = None, prices: PriceCatalogue | str | None = None) -> list[LineItem]:
    """Line items for *mau* monthly active users of a user pool on *tier* (AWS's default: Essentials)."""
    raw = _catalogue(prices).raw["cognito"]
    tier = (tier or raw["default_tier"]).upper()
    if tier not in raw["tiers"]:
        raise ValueError(f"unknown Cognito tier {tier!r}: choose one of {', '.join(raw['tiers'])}")
    spec = raw["tiers"][tier]
    free = int(spec["free_mau"])
    rows, done = [], min(int(mau), free)
    if done:
        rows.append(LineItem(f"Cognito {tier} MAU (free tier)", Decimal(done), "MAU", ZERO, ZERO, "cognito"))
    for step in spec["ladder"]:
        top = int(step["up_to_mau"]) if step["up_to_mau"] is not None else None
        count = (min(int(mau), top) if top is not None else int(mau)) - done
        if count <= 0:
            continue
        rows.append(_row(f"Cognito {tier} MAU", Decimal(count), "MAU", step, "cognito"))
        done += count
    return rows


def total(items: list[LineItem]) -> Decimal:
    """The sum of line items' costs."""
    return sum((i.cost_usd for i in items), ZERO)
