"""Prices for serverless apps: DynamoDB on-demand and Cognito MAU, sourced in prices.json; request
units counted by the Cloud's DynamoDB; the notes app's load scenario."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minilambda.billing import load_prices
from minilambda.billing.apps import DynamoDBUsage, cognito_cost, dynamodb_cost, total
from minilambda.services.dynamodb import request_units


def test_every_new_price_is_sourced_and_dated():
    raw = load_prices().raw
    prices = [raw["dynamodb"]["on_demand"]["write_request_units"], raw["dynamodb"]["on_demand"]["read_request_units"],
              raw["dynamodb"]["storage"]]
    prices += [step for tier in raw["cognito"]["tiers"].values() for step in tier["ladder"]]
    for price in prices:
        assert price["source"] and price["checked"] == "2026-11-30" and "verified" in price


def test_dynamodb_on_demand_after_the_2024_price_cut():
    items = dynamodb_cost(DynamoDBUsage(read_units=4_000_000, write_units=2_000_000, storage_gb=30))
    assert [i.cost_usd for i in items] == [Decimal("1.25"), Decimal("0.5"), Decimal("1.25")]
    assert dynamodb_cost(DynamoDBUsage(storage_gb=10))[2].cost_usd == 0  # 25 GB free


def test_cognito_tiers_and_free_allowance():
    assert total(cognito_cost(10_000)) == 0
    assert total(cognito_cost(12_000)) == Decimal("30")  # Essentials, AWS's default for new pools
    assert total(cognito_cost(120_000, tier="lite")) == Decimal("587")  # 90k x 0.0055 + 20k x 0.0046
    assert total(cognito_cost(5, tier="plus")) == Decimal("0.1")  # no free tier
    with pytest.raises(ValueError, match="unknown Cognito tier"):
        cognito_cost(1, tier="gold")


def test_request_units_as_on_demand_counts_them():
    small = {"TableName": "t", "Item": {"id": {"S": "1"}}}
    assert request_units("PutItem", small, {}) == (0.0, 1.0)
    big = {"Item": {"id": {"S": "x" * 3000}}}
    assert request_units("PutItem", big, {}) == (0.0, 3.0)
    assert request_units("GetItem", {}, {"Item": {"id": {"S": "1"}}}) == (0.5, 0.0)
    assert request_units("GetItem", {"ConsistentRead": True}, {"Item": {"id": {"S": "1"}}}) == (1.0, 0.0)
    assert request_units("TransactWriteItems", {"TransactItems": [small, small]}, {}) == (0.0, 4.0)
    assert request_units("DescribeTable", {}, {}) == (0.0, 0.0)


def test_the_clouds_dynamodb_counts_units(vcloud):
    ddb = vcloud.client("dynamodb")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    ddb.put_item(TableName="t", Item={"k": {"S": "a"}})
    ddb.get_item(TableName="t", Key={"k": {"S": "a"}})
    service = vcloud.dynamodb
    assert (service.read_units, service.write_units) == (0.5, 1.0)
    assert service.requests == {"CreateTable": 1, "PutItem": 1, "GetItem": 1}


@pytest.mark.slow
@pytest.mark.process
@pytest.mark.timeout(900)
def test_notes_load_scenario_on_the_virtual_clock():
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "apps", "notes", "load.py")
    spec = importlib.util.spec_from_file_location("notes_load", path)
    load = importlib.util.module_from_spec(spec)
    import sys

    sys.modules["notes_load"] = load  # dataclasses look their module up
    spec.loader.exec_module(load)
    report = load.run(3, seed=2, sessions_per_day=2)
    assert report.api_requests >= 2 * report.invocations // 3 and report.invocations > 0
    assert 1 <= report.cold_starts <= report.invocations and report.peak_concurrency >= 1
    assert report.dynamodb_read_units > 0 and report.dynamodb_write_units >= 0
    assert report.monthly_usd_per_1000_users["total"] > report.monthly_usd_per_1000_users["Lambda"] > 0
    assert "Monthly bill per 1,000 users" in str(report)
