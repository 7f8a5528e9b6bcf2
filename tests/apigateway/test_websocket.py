"""WebSocket APIs over real sockets: $connect/$disconnect, routing, frames, @connections, limits.

Every test here talks to the API with a real WebSocket client (``websockets.sync.client``) and runs
real Lambda handlers (``process``). Time limits run on the virtual clock: advancing it closes idle
or old connections without waiting.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
import threading
import time

import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from minilambda import Cloud
from minilambda.apigateway.management import management_url, websocket_url
from tests.helpers import make_function

pytestmark = pytest.mark.process

CHAT = '''
import json, os
import boto3

def handler(event, context):
    rc = event["requestContext"]
    print("EVENT " + json.dumps(event))
    route = rc["routeKey"]
    if route == "$connect":
        query = event.get("queryStringParameters") or {}
        if query.get("deny"):
            return {"statusCode": int(query["deny"])}
        offered = event["headers"].get("Sec-WebSocket-Protocol", "")
        if offered:
            return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": offered.split(",")[-1].strip()}}
        return {"statusCode": 200}
    if route == "$disconnect":
        return {"statusCode": 200}
    body = event.get("body") or ""
    msg = json.loads(body) if body.startswith("{") else {}
    if route == "echo":
        return {"statusCode": 200, "body": json.dumps(event)}
    if route == "boom":
        raise RuntimeError("boom")
    if route == "whoami":
        return {"statusCode": 200, "body": rc["connectionId"]}
    if route == "broadcast":
        api = boto3.client("apigatewaymanagementapi", endpoint_url="http://%s/%s" % (rc["domainName"], rc["stage"]))
        gone = []
        for cid in msg["to"]:
            try:
                api.post_to_connection(ConnectionId=cid, Data=msg["text"].encode())
            except api.exceptions.GoneException:
                gone.append(cid)
        return {"statusCode": 200, "body": json.dumps({"gone": gone})}
    return {"statusCode": 200, "body": "default:" + body}
'''

AUTHORIZER = '''
def handler(event, context):
    token = event["queryStringParameters"]["token"]
    if token == "raise":
        raise Exception("Unauthorized")
    effect = "Allow" if token == "good" else "Deny"
    return {"principalId": "user-1", "context": {"team": "blue", "level": 3},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
'''

TWO_WAY = ("echo", "whoami", "broadcast", "boom", "$default")


@pytest.fixture
def wcloud():
    """A virtual-clock Cloud (every Cloud has API Gateway, WebSocket APIs and @connections)."""
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=7) as cloud:
        assert cloud.dispatcher.adapter("apigatewaymanagementapi").apis is cloud.websocket_apis
        yield cloud


def make_api(cloud, routes=("$connect", "$disconnect", "$default", "echo", "whoami", "broadcast", "boom", "silent"),
             *, expression="$request.body.action", two_way=TWO_WAY):
    """A WebSocket API whose routes all go to the CHAT function; returns (api_id, url)."""
    lam = cloud.client("lambda")
    arn = make_function(lam, "chat", CHAT)["FunctionArn"]
    v2 = cloud.client("apigatewayv2")
    api_id = v2.create_api(Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression=expression)["ApiId"]
    uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri)
    for key in routes:
        extra = {"RouteResponseSelectionExpression": "$default"} if key in two_way else {}
        route = v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}",
                                **extra)
        if key in two_way:
            v2.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
    v2.create_stage(ApiId=api_id, StageName="prod")
    lam.add_permission(FunctionName="chat", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api_id}/*")
    return api_id, websocket_url(cloud, api_id, "prod")


def events(cloud, route_key=None):
    """The events the CHAT function logged, oldest first."""
    out = [json.loads(line.split("EVENT ", 1)[1]) for line in cloud.log_lines("chat") if "EVENT " in line]
    return [e for e in out if route_key is None or e["requestContext"]["routeKey"] == route_key]


def wait_until(predicate):
    """Wait for a server thread to finish something (a barrier; pytest-timeout bounds it)."""
    while not predicate():
        time.sleep(0.005)


def ask(ws, message):
    ws.send(json.dumps(message) if isinstance(message, dict) else message)
    return ws.recv(timeout=30)


# -- $connect, messages, $disconnect -------------------------------------------------------------


def test_connect_message_disconnect_events_have_aws_shape(wcloud):
    api_id, url = make_api(wcloud)
    assert url.startswith("ws://127.0.0.1:") and url.endswith("/prod")
    with connect(url + "?room=1", user_agent_header="pytest-client") as ws:
        event = json.loads(ask(ws, {"action": "echo", "text": "hi"}))
        connection_id = ask(ws, {"action": "whoami"})
    rc = event["requestContext"]
    assert list(rc) == ["routeKey", "messageId", "eventType", "extendedRequestId", "requestTime",
                        "messageDirection", "stage", "connectedAt", "requestTimeEpoch", "identity",
                        "requestId", "domainName", "connectionId", "apiId"]
    assert rc["routeKey"] == "echo" and rc["eventType"] == "MESSAGE" and rc["messageDirection"] == "IN"
    assert rc["stage"] == "prod" and rc["apiId"] == api_id and rc["identity"] == {"sourceIp": "127.0.0.1"}
    assert rc["connectionId"] == connection_id and len(connection_id) == 16 and connection_id.endswith("=")
    assert rc["requestId"] == rc["extendedRequestId"] and len(rc["messageId"]) == 16
    assert rc["connectedAt"] == 1_700_000_000_000 and rc["requestTimeEpoch"] >= rc["connectedAt"]
    assert re.fullmatch(r"14/Nov/2023:22:1\d:\d\d \+0000", rc["requestTime"])  # 1_700_000_000 + handler time
    assert event["body"] == '{"action": "echo", "text": "hi"}' and event["isBase64Encoded"] is False
    assert "headers" not in event

    wait_until(lambda: events(wcloud, "$disconnect"))
    connect_event = events(wcloud, "$connect")[0]
    assert connect_event["queryStringParameters"] == {"room": "1"}
    assert connect_event["headers"]["User-Agent"] == "pytest-client"
    assert "Sec-WebSocket-Key" in connect_event["headers"] and "Upgrade" not in connect_event["headers"]
    assert connect_event["multiValueHeaders"]["X-Forwarded-For"] == ["127.0.0.1"]
    assert connect_event["requestContext"]["eventType"] == "CONNECT"
    gone = events(wcloud, "$disconnect")[0]
    assert list(gone["headers"]) == ["Host", "x-api-key", "X-Forwarded-For", "x-restapi"]
    assert gone["requestContext"]["disconnectStatusCode"] == 1000
    assert list(gone["requestContext"])[:2] == ["routeKey", "disconnectStatusCode"]
    assert wcloud.websocket_apis.connections[0].status_code == 1000


def test_disconnect_without_close_status_reports_1005(wcloud):
    _, url = make_api(wcloud)
    with connect(url) as ws:
        ws.close(code=None)  # a close frame without a status code (websockets allows None)
    wait_until(lambda: events(wcloud, "$disconnect"))
    rc = events(wcloud, "$disconnect")[0]["requestContext"]
    assert (rc["disconnectStatusCode"], rc["disconnectReason"]) == (1005, "Client-side close frame status not set")


def test_connect_refused_with_the_integrations_status(wcloud):
    _, url = make_api(wcloud)
    with pytest.raises(InvalidStatus) as refused:
        connect(url + "?deny=403")
    assert refused.value.response.status_code == 403
    assert wcloud.websocket_apis.connections == []
    assert not events(wcloud, "$disconnect")


def test_unknown_stage_is_refused_with_403(wcloud):
    api_id, url = make_api(wcloud)
    with pytest.raises(InvalidStatus) as refused:
        connect(url.rsplit("/", 1)[0] + "/nope")
    assert refused.value.response.status_code == 403


# -- routing ---------------------------------------------------------------------------------------


def test_route_selection_default_and_non_json(wcloud):
    _, url = make_api(wcloud)
    with connect(url) as ws:
        assert ask(ws, {"action": "nothing-here"}) == 'default:{"action": "nothing-here"}'
        assert ask(ws, "plain text") == "default:plain text"
        assert ask(ws, {"no": "action"}) == 'default:{"no": "action"}'
    routed = [e["requestContext"]["routeKey"] for e in events(wcloud) if e["requestContext"]["eventType"] == "MESSAGE"]
    assert routed == ["$default", "$default", "$default"]


def test_no_route_and_no_default_sends_forbidden_frame_and_stays_open(wcloud):
    _, url = make_api(wcloud, routes=("$connect", "echo", "whoami"))
    with connect(url) as ws:
        frame = ask(ws, {"action": "missing"})
        cid = ask(ws, {"action": "whoami"})  # still open
    assert frame.startswith('{"message": "Forbidden", "connectionId":"' + cid + '", "requestId":"')
    assert json.loads(frame)["requestId"].endswith("=")


def test_integration_error_sends_internal_server_error_frame(wcloud):
    _, url = make_api(wcloud)
    with connect(url) as ws:
        frame = json.loads(ask(ws, {"action": "boom"}))
        assert frame["message"] == "Internal server error"
        assert ask(ws, "still here") == "default:still here"


def test_one_way_route_sends_nothing_back(wcloud):
    _, url = make_api(wcloud)
    with connect(url) as ws:
        ws.send(json.dumps({"action": "silent"}))
        assert ask(ws, {"action": "whoami"}).endswith("=")  # the first frame back answers the second message


def test_interpolated_route_selection_expression(wcloud):
    _, url = make_api(wcloud, routes=("chat/join", "$default"), two_way=("chat/join", "$default"),
                      expression="${request.body.service}/${request.body.action}")
    with connect(url) as ws:
        ask(ws, {"service": "chat", "action": "join"})
    assert events(wcloud)[-1]["requestContext"]["routeKey"] == "chat/join"


# -- @connections ------------------------------------------------------------------------------------


def test_post_get_delete_connection_in_process(wcloud):
    api_id, url = make_api(wcloud)
    mgmt = wcloud.client("apigatewaymanagementapi", endpoint_url=management_url(wcloud, api_id, "prod"))
    with connect(url, user_agent_header="agent/1.0") as ws:
        cid = ask(ws, {"action": "whoami"})
        mgmt.post_to_connection(ConnectionId=cid, Data=b"pushed")
        assert ws.recv(timeout=30) == "pushed"
        info = mgmt.get_connection(ConnectionId=cid)
        assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "agent/1.0"}
        assert info["ConnectedAt"].timestamp() == 1_700_000_000.0
        assert info["LastActiveAt"] >= info["ConnectedAt"]
        mgmt.delete_connection(ConnectionId=cid)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=30)
    wait_until(lambda: events(wcloud, "$disconnect"))
    rc = events(wcloud, "$disconnect")[0]["requestContext"]
    assert (rc["disconnectStatusCode"], rc["disconnectReason"]) == (1000, "Connection Closed Normally")
    with pytest.raises(mgmt.exceptions.GoneException) as gone:
        mgmt.post_to_connection(ConnectionId=cid, Data=b"late")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    with pytest.raises(mgmt.exceptions.GoneException):
        mgmt.get_connection(ConnectionId="AAAAAAAAAAAAAAA=")


def test_handler_pushes_to_other_clients_with_post_to_connection(wcloud):
    _, url = make_api(wcloud)
    with connect(url) as alice, connect(url) as bob:
        bob_id = ask(bob, {"action": "whoami"})
        alice_id = ask(alice, {"action": "whoami"})
        reply = ask(alice, {"action": "broadcast", "to": [bob_id, alice_id], "text": "hello all"})
        assert bob.recv(timeout=30) == "hello all"
        assert reply == "hello all" or alice.recv(timeout=30) == "hello all"
    with connect(url) as carol:
        reply = json.loads(ask(carol, {"action": "broadcast", "to": [bob_id], "text": "anyone?"}))
    assert reply == {"gone": [bob_id]}


def test_post_over_128_kb_is_payload_too_large(wcloud):
    api_id, url = make_api(wcloud)
    mgmt = wcloud.client("apigatewaymanagementapi", endpoint_url=management_url(wcloud, api_id, "prod"))
    with connect(url) as ws:
        cid = ask(ws, {"action": "whoami"})
        with pytest.raises(ClientError) as err:
            mgmt.post_to_connection(ConnectionId=cid, Data=b"x" * 131_073)
        assert err.value.response["Error"]["Code"] == "PayloadTooLargeException"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
        mgmt.post_to_connection(ConnectionId=cid, Data=b"y" * 131_072)
        assert ws.recv(timeout=30) == "y" * 131_072  # arrives in 32 KB frames, reassembled


# -- limits on the virtual clock ----------------------------------------------------------------------


def test_idle_connection_closes_after_10_minutes_on_the_virtual_clock(wcloud):
    api_id, url = make_api(wcloud)
    mgmt = wcloud.client("apigatewaymanagementapi", endpoint_url=management_url(wcloud, api_id, "prod"))
    with connect(url) as ws:
        cid = ask(ws, {"action": "whoami"})
        last = wcloud.clock.now()
        wcloud.clock.advance_to(last + 599)
        mgmt.get_connection(ConnectionId=cid)  # still there
        wcloud.clock.advance_to(last + 600)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
    assert closed.value.rcvd.code == 1001
    wait_until(lambda: events(wcloud, "$disconnect"))
    assert events(wcloud, "$disconnect")[0]["requestContext"]["disconnectStatusCode"] == 1001
    with pytest.raises(mgmt.exceptions.GoneException):
        mgmt.get_connection(ConnectionId=cid)


def test_busy_connection_still_closes_after_2_hours(wcloud):
    api_id, url = make_api(wcloud)
    start = wcloud.clock.now()
    with connect(url) as ws:
        for minute in range(5, 120, 5):  # a message every 5 minutes: never idle
            wcloud.clock.advance_to(start + minute * 60)
            ask(ws, {"action": "whoami"})
        wcloud.clock.advance_to(start + 7200)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
    assert closed.value.rcvd.code == 1001
    apis = wcloud.websocket_apis
    wait_until(lambda: apis.connections)
    record = apis.connections[0]
    assert record.disconnected_at - record.connected_at == pytest.approx(7200, abs=1) and record.minutes == 120


def test_message_over_128_kb_closes_with_1009(wcloud):
    _, url = make_api(wcloud)
    with connect(url, max_size=None) as ws:
        with pytest.raises(ConnectionClosed) as closed:  # the close may arrive while the client still sends
            ws.send(["a" * 32_768] * 4 + ["b"])  # 131,073 bytes in legal 32 KB frames
            ws.recv(timeout=30)
    assert closed.value.rcvd.code == 1009


def test_frame_over_32_kb_closes_with_1009_but_fragments_pass(wcloud):
    _, url = make_api(wcloud)
    with connect(url) as ws:
        text = json.dumps({"action": "whoami", "pad": "p" * 60_000})
        ws.send([text[i:i + 32_768] for i in range(0, len(text), 32_768)])
        assert ask(ws, {"action": "whoami"}).endswith("=")
    with connect(url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.send("q" * 40_000)  # one 40 KB frame
            ws.recv(timeout=30)
    assert closed.value.rcvd.code == 1009


def test_records_count_messages_in_32_kb_units_and_connection_minutes(wcloud):
    api_id, url = make_api(wcloud)
    apis = wcloud.websocket_apis
    start = wcloud.clock.now()
    with connect(url) as ws:
        text = json.dumps({"action": "silent", "pad": "p" * 40_000})  # 2 units in, nothing out
        ws.send([text[i:i + 32_768] for i in range(0, len(text), 32_768)])
        ask(ws, {"action": "whoami"})  # 1 in, 1 out
        wcloud.clock.advance_to(start + 150)
    wait_until(lambda: apis.connections)
    assert [(m.direction, m.units) for m in apis.messages] == [("IN", 2), ("IN", 1), ("OUT", 1)]
    assert apis.usage(api_id) == {"messages": 4, "connection_minutes": 3}
    assert apis.cost(api_id)["total_usd"] == Decimal("0.000004") + Decimal("0.00000075")


# -- $connect authorizer ----------------------------------------------------------------------------


def _with_authorizer(cloud):
    api_id, url = make_api(cloud, routes=("$default",))
    lam = cloud.client("lambda")
    arn = make_function(lam, "auth", AUTHORIZER)["FunctionArn"]
    lam.add_permission(FunctionName="auth", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api_id}/*")
    v2 = cloud.client("apigatewayv2")
    auth_id = v2.create_authorizer(
        ApiId=api_id, AuthorizerType="REQUEST", Name="tok", IdentitySource=["route.request.querystring.token"],
        AuthorizerUri=f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{arn}/invocations",
    )["AuthorizerId"]
    integration_id = v2.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="$connect", AuthorizationType="CUSTOM", AuthorizerId=auth_id,
                    Target=f"integrations/{integration_id}")
    return url


def test_connect_authorizer_allows_denies_and_needs_its_identity_source(wcloud):
    url = _with_authorizer(wcloud)
    with pytest.raises(InvalidStatus) as missing:
        connect(url)
    assert missing.value.response.status_code == 401
    assert not [i for i in wcloud.invocations if i.function_name == "auth"]  # not invoked
    for token, status in (("bad", 403), ("raise", 401)):
        with pytest.raises(InvalidStatus) as refused:
            connect(url + f"?token={token}")
        assert refused.value.response.status_code == status
    with connect(url + "?token=good") as ws:
        assert ask(ws, "hello") == "default:hello"
    message = [e for e in events(wcloud) if e["requestContext"]["eventType"] == "MESSAGE"][-1]
    assert list(message["requestContext"])[:4] == ["routeKey", "messageId", "authorizer", "eventType"]
    assert message["requestContext"]["authorizer"]["principalId"] == "user-1"
    assert message["requestContext"]["authorizer"]["team"] == "blue"


def test_two_clouds_serve_separate_apis(wcloud):
    api_id, url = make_api(wcloud)
    with Cloud(clock="virtual", seed=7) as other:
        assert other.client("apigatewayv2").get_apis()["Items"] == []
        other_mgmt = other.client("apigatewaymanagementapi", endpoint_url=management_url(other, api_id, "prod"))
        with connect(url) as ws:
            cid = ask(ws, {"action": "whoami"})
            with pytest.raises(other_mgmt.exceptions.GoneException):
                other_mgmt.post_to_connection(ConnectionId=cid, Data=b"x")


def test_close_stops_servers(wcloud):
    _, url = make_api(wcloud)
    ws = connect(url)
    done = threading.Event()

    def reader():
        try:
            ws.recv(timeout=30)
        except ConnectionClosed:
            done.set()

    t = threading.Thread(target=reader)
    t.start()
    wcloud.websocket_apis.close()
    t.join()
    assert done.is_set()


def test_api_endpoint_records_and_api_url(wcloud):
    api_id, url = make_api(wcloud)
    endpoint = wcloud.client("apigatewayv2").get_api(ApiId=api_id)["ApiEndpoint"]
    assert url == endpoint + "/prod" == wcloud.api_url(api_id, "prod")
    with connect(url) as ws:
        ask(ws, {"action": "whoami"})
        ask(ws, {"action": "boom"})
    wait_until(lambda: any(r.route == "$disconnect" for r in wcloud.api_requests))
    records = [r for r in wcloud.api_requests if r.api_type == "WEBSOCKET"]
    assert [(r.route, r.method, r.status) for r in records] == [
        ("$connect", "CONNECT", 200), ("whoami", "MESSAGE", 200), ("boom", "MESSAGE", 500),
        ("$disconnect", "DISCONNECT", 200)]
    assert all(r.api_id == api_id and r.stage == "prod" and r.function_name == "chat" for r in records)
    assert records[2].error and "customer function error" in records[2].error


def test_connect_with_aws_iam_needs_a_valid_sigv4_signature(wcloud):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    api_id, url = make_api(wcloud, routes=("$default",))
    v2 = wcloud.client("apigatewayv2")
    integration_id = v2.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="$connect", AuthorizationType="AWS_IAM",
                    Target=f"integrations/{integration_id}")
    wcloud.clock.advance_to(time.time())  # SigV4 allows 5 minutes of skew from the Cloud's clock
    with pytest.raises(InvalidStatus) as refused:
        connect(url)
    assert refused.value.response.status_code == 403
    assert refused.value.response.body == b'{"message":"Missing Authentication Token"}'

    def signed(secret):
        request = AWSRequest(method="GET", url=url.replace("ws://", "http://"))
        SigV4Auth(Credentials("minilambda", secret), "execute-api", wcloud.region).add_auth(request)
        return [(k, v) for k, v in request.headers.items() if k in ("Authorization", "X-Amz-Date")]

    with pytest.raises(InvalidStatus) as forged:
        connect(url, additional_headers=signed("wrong-secret"))
    assert forged.value.response.status_code == 403
    with connect(url, additional_headers=signed("minilambda")) as ws:
        assert ask(ws, "in") == "default:in"
    assert [r.authorized for r in wcloud.api_requests if r.route == "$connect"] == [False, False, True]


def test_stage_variables_pick_the_function(wcloud):
    lam = wcloud.client("lambda")
    make_function(lam, "chat", CHAT)
    v2 = wcloud.client("apigatewayv2")
    api_id = v2.create_api(Name="sv", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
    uri = (f"arn:aws:apigateway:{wcloud.region}:lambda:path/2015-03-31/functions/"
           f"arn:aws:lambda:{wcloud.region}:{wcloud.account_id}:function:${{stageVariables.fn}}/invocations")
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri)
    v2.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration['IntegrationId']}",
                    RouteResponseSelectionExpression="$default")
    v2.create_stage(ApiId=api_id, StageName="live", StageVariables={"fn": "chat"})
    lam.add_permission(FunctionName="chat", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    with connect(websocket_url(wcloud, api_id, "live")) as ws:
        assert ask(ws, "hi") == "default:hi"


def test_connect_failures_map_like_proxy_integrations(wcloud):
    api_id, url = make_api(wcloud)
    v2 = wcloud.client("apigatewayv2")
    route_id = next(r["RouteId"] for r in v2.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "$connect")
    with connect(url) as ws:  # a function error on a message: an error frame, the socket stays
        assert json.loads(ask(ws, {"action": "boom"}))["message"] == "Internal server error"
    boom = make_function(wcloud.client("lambda"), "boom", "def handler(e, c):\n    raise ValueError('no')\n")
    integration_id = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY",
        IntegrationUri=f"arn:aws:apigateway:{wcloud.region}:lambda:path/2015-03-31/functions/{boom['FunctionArn']}"
                       "/invocations")["IntegrationId"]
    v2.update_route(ApiId=api_id, RouteId=route_id, Target=f"integrations/{integration_id}")
    with pytest.raises(InvalidStatus) as refused:  # no permission for "boom": a configuration error
        connect(url)
    assert refused.value.response.status_code == 500
    wcloud.client("lambda").add_permission(FunctionName="boom", StatementId="apigw", Action="lambda:InvokeFunction",
                                           Principal="apigateway.amazonaws.com")
    with pytest.raises(InvalidStatus) as refused:  # the function raises
        connect(url)
    assert refused.value.response.status_code == 502
    connects = [r for r in wcloud.api_requests if r.route == "$connect"]
    assert [r.status for r in connects] == [200, 500, 502]
    assert "Invalid permissions on Lambda function" in connects[1].error


def test_stage_route_throttling_answers_too_many_requests_frames(wcloud):
    api_id, _ = make_api(wcloud)
    v2 = wcloud.client("apigatewayv2")
    v2.create_stage(ApiId=api_id, StageName="tight",
                    DefaultRouteSettings={"ThrottlingRateLimit": 1.0, "ThrottlingBurstLimit": 2})
    with connect(websocket_url(wcloud, api_id, "tight")) as ws:
        start = wcloud.clock.now()
        answers = []
        for _ in range(3):  # the clock moves only by the handler's duration: well under a second
            answers.append(ask(ws, {"action": "whoami"}))
        assert wcloud.clock.now() - start < 1.0
        wcloud.clock.advance(1.0)
        answers.append(ask(ws, {"action": "whoami"}))
    assert [a.startswith('{"message": "Too Many Requests"') for a in answers] == [False, False, True, False]


def test_garbage_and_vanishing_clients_do_not_break_the_server(wcloud):
    import socket

    _, url = make_api(wcloud)
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    for garbage, status in ((b"NONSENSE / HTTP/1.1\r\n\r\n", b"405"), (b"GET /prod HTTP/1.1\r\nHost: x\r\n\r\n", b"426"),
                            (b"\x16\x03\x01\x00", None)):  # the last: a TLS hello, cut short
        with socket.create_connection((host, int(port))) as raw:
            raw.sendall(garbage)
            if status is None:
                raw.shutdown(socket.SHUT_WR)
            answer = raw.recv(100)
        assert (answer.split(b" ")[1] if answer else None) == status
    assert not events(wcloud, "$connect")  # no $connect for what is not a WebSocket upgrade
    with socket.create_connection((host, int(port))) as raw:  # an upgrade cut short
        raw.sendall(b"GET /prod HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
    with connect(url) as ws:
        assert ask(ws, "still serving") == "default:still serving"


def test_wall_clock_cloud_serves_and_cleans_up():
    with Cloud(seed=2) as cloud:
        _, url = make_api(cloud)
        with connect(url) as ws:
            assert ask(ws, "wall") == "default:wall"
        apis = cloud.websocket_apis
        wait_until(lambda: apis.connections)
        assert apis.connections[0].disconnected_at >= apis.connections[0].connected_at
    with pytest.raises(OSError):
        connect(url, open_timeout=5)


def test_connect_with_api_key_required_needs_a_key_of_a_usage_plan_for_the_stage(wcloud):
    api_id, url = make_api(wcloud)
    v2 = wcloud.client("apigatewayv2")
    route_id = next(r["RouteId"] for r in v2.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "$connect")
    v2.update_route(ApiId=api_id, RouteId=route_id, ApiKeyRequired=True)
    rest = wcloud.client("apigateway")
    key = rest.create_api_key(name="phone", enabled=True)
    plan = rest.create_usage_plan(name="basic", apiStages=[{"apiId": api_id, "stage": "prod"}],
                                  quota={"limit": 1, "period": "DAY"})
    rest.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    for headers in ([], [("x-api-key", "not-a-key")]):
        with pytest.raises(InvalidStatus) as refused:
            connect(url, additional_headers=headers)
        assert refused.value.response.status_code == 403
    with connect(url, additional_headers=[("x-api-key", key["value"])]) as ws:
        assert ask(ws, "keyed") == "default:keyed"
    with pytest.raises(InvalidStatus) as over_quota:
        connect(url, additional_headers=[("x-api-key", key["value"])])
    assert over_quota.value.response.status_code == 429
    assert over_quota.value.response.body == b'{"message":"Limit Exceeded"}'


def test_access_log_lines_with_websocket_context_variables(wcloud):
    api_id, _ = make_api(wcloud)
    v2 = wcloud.client("apigatewayv2")
    fmt = "$context.eventType $context.routeKey $context.status $context.connectionId $context.messageId"
    v2.create_stage(ApiId=api_id, StageName="logged", AccessLogSettings={
        "DestinationArn": f"arn:aws:logs:{wcloud.region}:{wcloud.account_id}:log-group:ws-access", "Format": fmt})
    with connect(websocket_url(wcloud, api_id, "logged")) as ws:
        cid = ask(ws, {"action": "whoami"})
    wait_until(lambda: len(wcloud.logs.lines("ws-access")) == 3)
    lines = [line.split() for line in wcloud.logs.lines("ws-access")]
    assert [line[:4] for line in lines] == [["CONNECT", "$connect", "200", cid], ["MESSAGE", "whoami", "200", cid],
                                            ["DISCONNECT", "$disconnect", "200", cid]]
    assert lines[0][4] == "-" and lines[1][4].endswith("=")  # only messages have a messageId


def test_a_simulator_failure_while_routing_is_an_error_frame_and_a_record(wcloud, monkeypatch):
    _, url = make_api(wcloud)
    apis = wcloud.websocket_apis
    with connect(url) as ws:
        monkeypatch.setattr(apis, "view", lambda api_id: (_ for _ in ()).throw(RuntimeError("control plane gone")))
        frame = json.loads(ask(ws, "hello"))
        monkeypatch.undo()
        assert ask(ws, "again") == "default:again"
    assert frame["message"] == "Internal server error"
    failed = [r for r in wcloud.api_requests if r.api_type == "WEBSOCKET" and r.status == 500]
    assert "control plane gone" in failed[0].error


def test_every_cloud_has_websocket_apis_and_connections_service():
    with Cloud(clock="virtual", seed=4) as cloud:
        v2 = cloud.client("apigatewayv2")
        api_id = v2.create_api(Name="w", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
        v2.create_stage(ApiId=api_id, StageName="dev")
        assert cloud.api_url(api_id, "dev").startswith("ws://127.0.0.1:")
        mgmt = cloud.client("apigatewaymanagementapi", endpoint_url=management_url(cloud, api_id, "dev"))
        with connect(cloud.api_url(api_id, "dev")) as ws:
            wait_until(lambda: cloud.websocket_apis.open_connections(api_id))  # the server's side of the 101
            cid = cloud.websocket_apis.open_connections(api_id)[0]
            mgmt.post_to_connection(ConnectionId=cid, Data=b"hi")
            assert ws.recv(timeout=30) == "hi"


QUICK = '''
def handler(event, context):
    return {"statusCode": 200, "body": event["requestContext"]["connectionId"] + ":" + event["body"]}
'''


def test_concurrent_clients_each_get_their_own_answers_on_the_wall_clock():
    with Cloud(seed=5) as cloud:
        lam = cloud.client("lambda")
        arn = make_function(lam, "quick", QUICK)["FunctionArn"]
        v2 = cloud.client("apigatewayv2")
        api_id = v2.create_api(Name="q", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
        uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
        integration_id = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri)["IntegrationId"]
        v2.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration_id}",
                        RouteResponseSelectionExpression="$default")
        v2.create_stage(ApiId=api_id, StageName="prod")
        lam.add_permission(FunctionName="quick", StatementId="ws", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com")
        clients, rounds = 6, 4
        start = threading.Barrier(clients)
        answers: dict[int, list[str]] = {}

        def client(i):
            with connect(cloud.api_url(api_id, "prod")) as ws:
                start.wait(timeout=60)
                answers[i] = [ask(ws, f"{i}-{n}") for n in range(rounds)]

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(answers) == list(range(clients))
        for i, got in answers.items():
            ids = {a.split(":", 1)[0] for a in got}
            assert len(ids) == 1 and [a.split(":", 1)[1] for a in got] == [f"{i}-{n}" for n in range(rounds)]
        assert len({a.split(":", 1)[0] for got in answers.values() for a in got}) == clients
        assert sum(1 for r in cloud.api_requests if r.method == "MESSAGE" and r.status == 200) == clients * rounds


def test_connect_integration_chooses_the_subprotocol(wcloud):
    _, url = make_api(wcloud)
    with connect(url, subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.subprotocol == "chat.v2"
    with connect(url) as ws:
        assert ws.subprotocol is None


def test_connections_api_over_the_clouds_loopback_endpoint(wcloud):
    """What the AWS CLI and ``python -m minilambda serve`` users do: a plain, signed boto3 client."""
    import boto3

    api_id, url = make_api(wcloud)
    plain = boto3.session.Session().client(
        "apigatewaymanagementapi", endpoint_url=f"{wcloud.endpoint_url}/prod", region_name=wcloud.region,
        aws_access_key_id="minilambda", aws_secret_access_key="minilambda")
    with connect(url, user_agent_header="cli-test") as ws:
        cid = ask(ws, {"action": "whoami"})
        assert plain.get_connection(ConnectionId=cid)["Identity"]["UserAgent"] == "cli-test"
        plain.post_to_connection(ConnectionId=cid, Data=b"over loopback")
        assert ws.recv(timeout=30) == "over loopback"
        plain.delete_connection(ConnectionId=cid)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=30)
    wait_until(lambda: not wcloud.websocket_apis.open_connections())
    with pytest.raises(plain.exceptions.GoneException):
        plain.post_to_connection(ConnectionId=cid, Data=b"late")
