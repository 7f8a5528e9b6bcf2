"""WebSocket API pieces without Lambda: route selection, ids, event shapes, error frames, the
connection rate limit and @connections errors (real sockets, no handler processes)."""

from __future__ import annotations

import json
import random
import re

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from minilambda import Cloud
from minilambda.apigateway import websocket_events as ev
from minilambda.apigateway.management import management_url, websocket_url

CTX = ev.EventContext("abc123", "prod", "BFHPhfCWIAMCKlQ=", 1731324924553, "127.0.0.1:9", "10.0.0.1")


@pytest.mark.parametrize(("expression", "message", "key"), [
    ("$request.body.action", '{"action": "join"}', "join"),
    ("$request.body.action", '{"other": 1}', ""),  # a missing path selects ""
    ("$request.body.action", "not json", None),  # non-JSON → $default
    ("$request.body.action", "[1, 2]", None),
    ("$request.body.action", b"\x00\x01", None),
    ("$request.body.message.type", '{"message": {"type": "ping"}}', "ping"),
    ("$request.body.n", '{"n": 5}', "5"),
    ("${request.body.service}/${request.body.action}", '{"service": "chat", "action": "join"}', "chat/join"),
    ("${request.body.service}/${request.body.action}", '{"action": "join"}', "/join"),
    ("\\$default", '{"action": "join"}', "$default"),
    ("static", "anything", "static"),
])
def test_select_route_key(expression, message, key):
    assert ev.select_route_key(expression, message) == key


def test_ids_are_16_base64_characters_ending_in_equals():
    rng = random.Random(1)
    ids = {ev.new_id(rng) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{15}=", i) for i in ids)
    assert ev.new_id(random.Random(5)) == ev.new_id(random.Random(5))


def test_error_frame_spacing_is_awss():
    frame = ev.error_frame("Forbidden", "XDmENcnwIE0CFEQ=", "XDmGEE2RoE0FRdQ=")
    assert frame == '{"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", "requestId":"XDmGEE2RoE0FRdQ="}'


def test_request_time_format():
    assert ev.request_time(1731324924.561) == "11/Nov/2024:11:35:24 +0000"


def test_connect_event_shape_and_query_rule():
    event = ev.connect_event(CTX, "BFHPhFe3IAMF95g=", 1731324924.561, [("Host", "h"), ("X-A", "1"), ("X-A", "2")], [])
    assert list(event) == ["headers", "multiValueHeaders", "requestContext", "isBase64Encoded"]
    assert event["headers"] == {"Host": "h", "X-A": "2"} and event["multiValueHeaders"]["X-A"] == ["1", "2"]
    rc = event["requestContext"]
    assert list(rc) == ["routeKey", "eventType", "extendedRequestId", "requestTime", "messageDirection", "stage",
                        "connectedAt", "requestTimeEpoch", "identity", "requestId", "domainName", "connectionId",
                        "apiId"]
    assert rc["requestTimeEpoch"] == 1731324924561 and rc["requestId"] == rc["extendedRequestId"]
    with_query = ev.connect_event(CTX, "r", 0.0, [], [("a", "1"), ("a", "2")])
    assert with_query["queryStringParameters"] == {"a": "2"}
    assert with_query["multiValueQueryStringParameters"] == {"a": ["1", "2"]}


def test_message_event_binary_is_base64():
    event = ev.message_event(CTX, "$default", "m", "r", 0.0, b"\x00\xff")
    assert event["body"] == "AP8=" and event["isBase64Encoded"] is True
    assert list(event["requestContext"])[:2] == ["routeKey", "messageId"]


def test_disconnect_event_matches_the_recorded_one():
    event = ev.disconnect_event(CTX, "BFbOeE87IAMF31w=", 1731333109.875, 1005, ev.NO_STATUS_REASON)
    assert event["headers"] == {"Host": "127.0.0.1:9", "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    assert list(event["requestContext"]) == [
        "routeKey", "disconnectStatusCode", "eventType", "extendedRequestId", "requestTime", "messageDirection",
        "disconnectReason", "stage", "connectedAt", "requestTimeEpoch", "identity", "requestId", "domainName",
        "connectionId", "apiId"]


def test_authorizer_event_has_empty_maps():
    event = ev.authorizer_event(CTX, "arn:aws:execute-api:us-east-1:1:abc123/prod/$connect", "r", 0.0,
                                [("Auth", "x")], [])
    assert event["queryStringParameters"] == {} and event["stageVariables"] == {}
    assert event["type"] == "REQUEST" and event["methodArn"].endswith("/prod/$connect")


# -- sockets without Lambda -------------------------------------------------------------------------


@pytest.fixture
def bare():
    """A virtual-clock Cloud with a WebSocket API that has no routes at all."""
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=3) as cloud:
        v2 = cloud.client("apigatewayv2")
        api_id = v2.create_api(Name="bare", ProtocolType="WEBSOCKET",
                               RouteSelectionExpression="$request.body.action")["ApiId"]
        v2.create_stage(ApiId=api_id, StageName="dev")
        yield cloud, api_id


def test_no_routes_means_forbidden_frames(bare):
    cloud, api_id = bare
    with connect(websocket_url(cloud, api_id, "dev")) as ws:
        ws.send('{"action": "x"}')
        frame = json.loads(ws.recv(timeout=30))
    assert frame["message"] == "Forbidden" and frame["connectionId"].endswith("=")


def test_500_new_connections_per_second_then_429(bare):
    cloud, api_id = bare
    url = websocket_url(cloud, api_id, "dev")
    for _ in range(500):  # the virtual clock stands still: all in the same instant
        connect(url).close()
    with pytest.raises(InvalidStatus) as refused:
        connect(url)
    assert refused.value.response.status_code == 429
    assert refused.value.response.body == b'{"message":"Too Many Requests"}'
    cloud.clock.advance(0.01)  # 5 tokens back
    connect(url).close()


def test_management_errors_without_connections(bare):
    cloud, api_id = bare
    mgmt = cloud.client("apigatewaymanagementapi", endpoint_url=management_url(cloud, api_id, "dev"))
    with pytest.raises(mgmt.exceptions.GoneException) as gone:
        mgmt.delete_connection(ConnectionId="AAAAAAAAAAAAAAA=")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert management_url(cloud, api_id, "dev") == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/dev"


def test_websocket_cost_prices_messages_in_tiers_and_connection_minutes():
    from decimal import Decimal

    from minilambda.apigateway.websocket import websocket_cost

    cost = websocket_cost({"messages": 1_000_000, "connection_minutes": 2_000_000})
    assert cost["messages_usd"] == Decimal("1.00") and cost["connection_minutes_usd"] == Decimal("0.50")
    over = websocket_cost({"messages": 1_500_000_000, "connection_minutes": 0})
    assert over["messages_usd"] == Decimal("1000") + Decimal("400")  # $0.80/M after the first billion


@pytest.mark.parametrize("message", ["a" * 131_072, "é" * 40_000, "x" + "€" * 20_000 + "🙂" * 9_000, b"\x00" * 70_000])
def test_outgoing_messages_are_cut_into_frames_of_at_most_32_kb(message):
    from minilambda.apigateway.websocket import FRAME_LIMIT, fragments

    pieces = fragments(message)
    sizes = [len(p.encode() if isinstance(p, str) else p) for p in pieces]
    assert max(sizes) <= FRAME_LIMIT and sizes[0] >= FRAME_LIMIT - 3
    assert (b"" if isinstance(message, bytes) else "").join(pieces) == message
