"""API Gateway request billing from records: REST per request, HTTP in 512 KB units."""

from __future__ import annotations

from decimal import Decimal

from minilambda.apigateway.billing import api_request_charges
from minilambda.apigateway.records import ApiRequest


def record(api_type: str, size: int) -> ApiRequest:
    return ApiRequest("r", "a", api_type, "s", "$default", "GET", "/", 200, 0.0, 1.0, request_bytes=size)


def test_rest_requests_cost_3_50_per_million():
    charges = api_request_charges([record("REST", 10)] * 1_000_000)
    assert charges["rest"].metered_requests == 1_000_000
    assert charges["rest"].usd == Decimal("3.50")


def test_http_requests_are_metered_in_512_kb_units():
    records = [record("HTTP", 0), record("HTTP", 512 * 1024), record("HTTP", 512 * 1024 + 1), record("HTTP", 1024 * 1024)]
    charge = api_request_charges(records)["http"]
    assert (charge.requests, charge.metered_requests) == (4, 1 + 1 + 2 + 2)
    assert charge.usd == Decimal("0.000006")


def test_websocket_records_are_not_priced_here():
    assert api_request_charges([record("WEBSOCKET", 10)]) == {}


def test_stage_cache_hours_are_billed_per_started_hour():
    from minilambda.apigateway.billing import cache_charges

    small, big = cache_charges([("a", "dev", "0.5", 0.0), ("a", "prod", "237", 0.0)], now=2.5 * 3600)
    assert (small.hours, small.usd, small.verified) == (3, Decimal("0.06"), False)
    assert (big.hours, big.usd) == (3, None)  # no sourced price for this size: not invented
