"""Prices for serverless apps: DynamoDB on-demand and Cognito MAU, sourced in prices.json; request
units counted by the Cloud's DynamoDB; the notes app's load scenario."""

from __future__ import annotations

import math
import random
from collections import Counter
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


def _load_module():
    import importlib.util
    import os
    import sys

    path = os.path.join(os.path.dirname(__file__), "..", "..", "apps", "notes", "load.py")
    spec = importlib.util.spec_from_file_location("notes_load", path)
    load = importlib.util.module_from_spec(spec)
    sys.modules["notes_load"] = load  # dataclasses look their module up
    spec.loader.exec_module(load)
    return load


def _replayed_actions(load, users: int, seed: int, sessions_per_day: float) -> tuple[int, int, int, int]:
    """(sessions, POSTs, PUTs, sessions that wrote) of the scenario, from its own random draws: each
    session signs in and lists; half add a note; a fifth of those that listed notes edit one."""
    rng = random.Random(seed)
    sessions = load.session_times(rng, users, sessions_per_day, 0.0)
    notes: Counter[int] = Counter()
    posts = puts = writing_sessions = 0
    for _, user in sessions:
        listed = notes[user]
        wrote = False
        if rng.random() < 0.5:
            rng.randrange(10**6)  # the note's text
            posts, notes[user], wrote = posts + 1, notes[user] + 1, True
        if listed and rng.random() < 0.2:
            puts, wrote = puts + 1, True
        writing_sessions += wrote
    return len(sessions), posts, puts, writing_sessions


def _lambda_usd(invocations: list, price: dict) -> Decimal:
    """Each invocation: a request plus ceil(INIT + duration) ms of its memory (INIT is billed since
    2025-08-01 for on-demand python3.12)."""
    per_ms_gb = Decimal(price["duration"]["x86_64"][0]["usd"]) / 1000
    request = Decimal(price["requests"]["usd"])
    total_usd = Decimal(0)
    for i in invocations:
        assert i.ok and i.architecture == "x86_64" and i.initialization_type == "on-demand"
        billed_ms = math.ceil(i.init_ms + i.duration_ms)
        total_usd += request + billed_ms * Decimal(i.memory_size_mb) / 1024 * per_ms_gb
    return total_usd


@pytest.mark.slow
@pytest.mark.process
@pytest.mark.timeout(900)
def test_notes_load_scenario_on_the_virtual_clock(monkeypatch):
    load = _load_module()
    seen: dict = {}
    bill = load.monthly_bill

    def spy(cloud, invocations, users, api_requests, days=1.0):
        seen.update(invocations=list(invocations), requests=dict(cloud.dynamodb.requests))
        return bill(cloud, invocations, users, api_requests, days)

    monkeypatch.setattr(load, "monthly_bill", spy)
    users, seed, per_day = 3, 28, 2  # seed 28: 8 sessions, 4 notes added, 1 edited, warm and cold starts
    report = load.run(users, seed=seed, sessions_per_day=per_day)
    sessions, posts, puts, writing_sessions = _replayed_actions(load, users, seed, per_day)
    assert (sessions, posts, puts) == (8, 4, 1)
    writes = posts + puts
    # Every request of the day is counted once: sign-in + list per session, then each POST and PUT.
    assert report.api_requests == 2 * sessions + writes
    day = seen["invocations"]
    by_function = Counter(i.function_name.split("-")[1] for i in day)
    assert by_function["AuthFunction"] == sessions and by_function["NotesFunction"] == sessions + writes
    assert writing_sessions <= by_function["StreamFunction"] <= writes  # stream batches of the writes
    assert report.invocations == len(day) == sum(by_function.values())
    assert report.cold_starts == sum(i.cold for i in day) and 0 < report.cold_starts < report.invocations
    overlaps = max(sum(1 for j in day if j.start <= i.start < j.end) for i in day)
    assert report.peak_concurrency == overlaps
    # DynamoDB on-demand units, every item well under 1 KB and every result under 4 KB: a write unit
    # per put; half a read unit per eventually consistent list (Query), per GetItem before an edit,
    # and per stream record (the stream function queries the connections table once per change).
    assert seen["requests"]["PutItem"] == writes and seen["requests"]["GetItem"] == puts
    assert seen["requests"]["Query"] == sessions + writes
    assert report.dynamodb_write_units == writes
    assert report.dynamodb_read_units == 0.5 * (sessions + puts + writes)
    # The month per 1,000 users, recomputed from the records and prices.json (x30 days x1000/users).
    prices = load_prices().raw
    scale = Decimal(30) * 1000 / users
    ddb = prices["dynamodb"]["on_demand"]
    expected = {
        "Lambda": _lambda_usd(day, prices["lambda"]) * scale,
        "API Gateway (HTTP)": report.api_requests * Decimal(prices["api_gateway"]["http"]["tiers"][0]["usd"]) * scale,
        "DynamoDB": (Decimal(str(report.dynamodb_read_units)) * Decimal(ddb["read_request_units"]["usd"])
                     + Decimal(str(report.dynamodb_write_units)) * Decimal(ddb["write_request_units"]["usd"])) * scale,
        "Cognito (Essentials)": 1000 * Decimal(prices["cognito"]["tiers"]["ESSENTIALS"]["ladder"][0]["usd"]),
    }
    expected["total"] = sum(expected.values())
    got = report.monthly_usd_per_1000_users
    assert list(got) == list(expected)
    for service, usd in expected.items():  # the report rounds to 4 decimals
        assert got[service] == pytest.approx(float(usd), abs=6e-5), service
    assert "Monthly bill per 1,000 users" in str(report)
