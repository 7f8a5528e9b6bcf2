"""The price catalogue: data with sources, frozen, unverified figures flagged."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal as D

import pytest

from minilambda.billing import PriceError, available_regions, estimate, load_prices


def test_us_east_1_prices():
    p = load_prices()
    assert p.region == "us-east-1"
    assert p.requests.usd == D("0.0000002")
    assert p.duration_tiers("x86_64")[0].price.usd == D("0.0000166667")
    assert p.duration_tiers("x86_64")[0].up_to == 6_000_000_000
    assert p.duration_tiers("arm64")[0].price.usd == D("0.0000133334")
    assert p.duration_tiers("arm64")[0].up_to == 7_500_000_000
    assert p.ephemeral_storage.usd == D("0.0000000309")
    assert p.storage_included_mb == 512
    assert p.provisioned_concurrency["x86_64"].usd == D("0.0000041667")
    assert p.provisioned_duration["x86_64"].usd == D("0.0000097222")
    assert p.free_tier.requests == 1_000_000 and p.free_tier.gb_seconds == 400_000
    assert p.init_billing_since == "2025-08-01"
    assert p.api_gateway["http"].tiers[0].price.usd * 1_000_000 == D("1.00")
    assert p.api_gateway["http"].unit_kb == 512
    assert p.api_gateway["rest"].tiers[0].price.usd * 1_000_000 == D("3.50")


def test_every_price_has_a_source_and_a_date():
    p = load_prices()
    prices = [p.requests, p.ephemeral_storage, *p.provisioned_concurrency.values(),
              *p.provisioned_duration.values()]
    prices += [t.price for tiers in p.duration.values() for t in tiers]
    prices += [t.price for api in p.api_gateway.values() for t in api.tiers]
    for price in prices:
        assert price.source and price.checked and price.unit


def test_unverified_figures_are_flagged():
    names = {name for name, _ in load_prices().unverified()}
    # the figures aws-facts.md marks unverified
    assert {"provisioned concurrency arm64", "duration on provisioned concurrency arm64",
            "duration arm64 tier 3", "API Gateway rest tier 2"} <= names
    assert "duration x86_64 tier 1" not in names


def test_catalogue_is_frozen():
    p = load_prices()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.region = "eu-west-1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.duration["x86_64"] = ()  # type: ignore[index]


def test_unknown_region():
    assert "us-east-1" in available_regions()
    with pytest.raises(PriceError, match="us-east-1"):
        load_prices("mars-north-1")
    with pytest.raises(PriceError, match="us-east-1"):
        estimate(1, 1, 128, prices="mars-north-1")


def test_another_region_is_data(tmp_path):
    data = json.loads((load_prices.__globals__["resources"].files("minilambda.billing")
                       / "prices.json").read_text())
    region = json.loads(json.dumps(data["regions"]["us-east-1"]))
    region["name"] = "Test region"
    region["lambda"]["requests"]["usd"] = "0.0000004"
    data["regions"]["xx-test-1"] = region
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data))
    p = load_prices("xx-test-1", path=path)
    assert p.requests.usd == D("0.0000004")
    assert estimate(1_000_000, 0, 128, prices=p).total_usd == D("0.4")
