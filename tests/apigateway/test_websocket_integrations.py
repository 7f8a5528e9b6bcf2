"""WebSocket APIs: non-proxy integrations (``AWS`` to Lambda, ``MOCK``) and ``$connect`` authorizer caching.

Real sockets (``websockets.sync.client``), real Lambda handlers, the virtual clock for authorizer TTLs.
"""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from minilambda import Cloud
from minilambda.apigateway.management import websocket_url
from tests.helpers import make_function

pytestmark = pytest.mark.process

ECHO = '''
import json

def handler(event, context):
    if isinstance(event, dict) and event.get("fail"):
        raise LookupError("NotFound: " + event["fail"])
    return {"got": event}
'''

AUTHORIZER = '''
def handler(event, context):
    return {"principalId": "user-1", "context": {"who": event["headers"].get("Auth", "")},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}
'''


@pytest.fixture
def wcloud():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=11) as cloud:
        yield cloud


def lambda_uri(cloud, arn):
    return f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{arn}/invocations"


def new_api(cloud, name="ws"):
    v2 = cloud.client("apigatewayv2")
    api = v2.create_api(Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    return v2, api["ApiId"]


def echo_function(cloud, api_id):
    lam = cloud.client("lambda")
    arn = make_function(lam, "echo", ECHO)["FunctionArn"]
    lam.add_permission(FunctionName="echo", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api_id}/*")
    return arn


def add_route(v2, api_id, key, integration_id, *, two_way=True):
    extra = {"RouteResponseSelectionExpression": "$default"} if two_way else {}
    route = v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration_id}", **extra)
    if two_way:
        v2.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")


def deploy(cloud, v2, api_id):
    v2.create_stage(ApiId=api_id, StageName="prod")
    return websocket_url(cloud, api_id, "prod")


def ask(ws, message):
    ws.send(json.dumps(message) if isinstance(message, dict) else message)
    return ws.recv(timeout=30)


# -- AWS (Lambda) integrations ----------------------------------------------------------------------

REQUEST_TEMPLATE = ('{"connection": "$context.connectionId", "route": "$context.routeKey", '
                    '"type": "$context.eventType", "stage": "$context.stage", "api": "$context.apiId", '
                    '"messageId": "$context.messageId", "name": "$input.path(\'$.name\')", '
                    '"raw": $input.json(\'$\')}')


def aws_integration(cloud, v2, api_id, **kw):
    arn = echo_function(cloud, api_id)
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS", IntegrationMethod="POST",
                                        IntegrationUri=lambda_uri(cloud, arn), **kw)
    return integration["IntegrationId"]


def test_aws_integration_transforms_the_message_with_its_request_template(wcloud):
    v2, api_id = new_api(wcloud)
    iid = aws_integration(wcloud, v2, api_id, TemplateSelectionExpression="\\$default",
                          RequestTemplates={"$default": REQUEST_TEMPLATE})
    v2.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="$default")
    add_route(v2, api_id, "join", iid)
    with connect(deploy(wcloud, v2, api_id)) as ws:
        answer = json.loads(ask(ws, {"action": "join", "name": "ada"}))
        connection_id = wcloud.websocket_apis.open_connections(api_id)[0]
    got = answer["got"]
    assert got["connection"] == connection_id
    assert (got["route"], got["type"], got["stage"], got["api"]) == ("join", "MESSAGE", "prod", api_id)
    assert got["name"] == "ada" and got["raw"] == {"action": "join", "name": "ada"}
    assert len(got["messageId"]) == 16 and got["messageId"].endswith("=")
    assert "requestContext" not in got  # not a proxy event


def test_template_selection_expression_picks_the_request_template(wcloud):
    v2, api_id = new_api(wcloud)
    iid = aws_integration(wcloud, v2, api_id, TemplateSelectionExpression="${request.body.action}",
                          RequestTemplates={"join": '{"picked": "join"}', "$default": '{"picked": "default"}'})
    v2.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="$default")
    add_route(v2, api_id, "join", iid)
    add_route(v2, api_id, "$default", iid)
    with connect(deploy(wcloud, v2, api_id)) as ws:
        assert json.loads(ask(ws, {"action": "join"})) == {"got": {"picked": "join"}}
        assert json.loads(ask(ws, {"action": "leave"})) == {"got": {"picked": "default"}}


def test_passthrough_behaviour_when_no_template_matches(wcloud):
    v2, api_id = new_api(wcloud)
    passing = aws_integration(wcloud, v2, api_id, TemplateSelectionExpression="${request.body.action}",
                              RequestTemplates={"other": "{}"}, PassthroughBehavior="WHEN_NO_MATCH")
    uri = v2.get_integration(ApiId=api_id, IntegrationId=passing)["IntegrationUri"]
    strict = v2.create_integration(ApiId=api_id, IntegrationType="AWS", IntegrationMethod="POST", IntegrationUri=uri,
                                   TemplateSelectionExpression="${request.body.action}",
                                   RequestTemplates={"other": "{}"}, PassthroughBehavior="NEVER")["IntegrationId"]
    for iid in (passing, strict):
        v2.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="$default")
    add_route(v2, api_id, "pass", passing)
    add_route(v2, api_id, "never", strict)
    with connect(deploy(wcloud, v2, api_id)) as ws:
        assert json.loads(ask(ws, {"action": "pass", "n": 1})) == {"got": {"action": "pass", "n": 1}}
        frame = json.loads(ask(ws, {"action": "never"}))
    assert frame["message"] == "Unsupported Media Type" and frame["connectionId"]
    assert [i.function_name for i in wcloud.invocations].count("echo") == 1  # NEVER did not invoke


def test_lambda_error_selects_the_integration_response_by_error_message(wcloud):
    v2, api_id = new_api(wcloud)
    iid = aws_integration(wcloud, v2, api_id)
    v2.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="/NotFound: .*/",
                                   TemplateSelectionExpression="\\$default",
                                   ResponseTemplates={"$default": '{"error": "missing", "route": "$context.routeKey"}'})
    v2.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="$default",
                                   TemplateSelectionExpression="\\$default",
                                   ResponseTemplates={"$default": '{"ok": $input.json(\'$.got.n\')}'})
    add_route(v2, api_id, "find", iid)
    with connect(deploy(wcloud, v2, api_id)) as ws:
        assert json.loads(ask(ws, {"action": "find", "n": 5})) == {"ok": 5}
        assert json.loads(ask(ws, {"action": "find", "fail": "x"})) == {"error": "missing", "route": "find"}


def test_one_way_route_sends_nothing_and_two_way_route_answers(wcloud):
    v2, api_id = new_api(wcloud)
    iid = aws_integration(wcloud, v2, api_id)
    v2.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="$default")
    add_route(v2, api_id, "tell", iid, two_way=False)
    add_route(v2, api_id, "ask", iid)
    with connect(deploy(wcloud, v2, api_id)) as ws:
        ws.send(json.dumps({"action": "tell", "n": 1}))
        # Messages of one connection are routed in order: the next frame is the two-way answer.
        assert json.loads(ask(ws, {"action": "ask", "n": 2})) == {"got": {"action": "ask", "n": 2}}
    assert [i.function_name for i in wcloud.invocations].count("echo") == 2


def test_no_integration_response_is_an_internal_server_error_frame(wcloud):
    v2, api_id = new_api(wcloud)
    iid = aws_integration(wcloud, v2, api_id)
    add_route(v2, api_id, "ask", iid)
    with connect(deploy(wcloud, v2, api_id)) as ws:
        frame = json.loads(ask(ws, {"action": "ask"}))
    assert frame["message"] == "Internal server error"
    assert "No match for output mapping" in wcloud.api_requests[-1].error


def test_an_integration_response_added_later_is_served_at_once(wcloud):
    v2, api_id = new_api(wcloud)
    iid = aws_integration(wcloud, v2, api_id)
    add_route(v2, api_id, "ask", iid)
    with connect(deploy(wcloud, v2, api_id)) as ws:
        assert json.loads(ask(ws, {"action": "ask"}))["message"] == "Internal server error"
        v2.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="$default",
                                       TemplateSelectionExpression="\\$default",
                                       ResponseTemplates={"$default": "#set($n = $input.path('$.got.n'))n=$n"})
        assert ask(ws, {"action": "ask", "n": 3}) == "n=3"


# -- MOCK integrations --------------------------------------------------------------------------------


def test_mock_integration_answers_through_its_integration_response(wcloud):
    v2, api_id = new_api(wcloud)
    iid = v2.create_integration(ApiId=api_id, IntegrationType="MOCK", TemplateSelectionExpression="\\$default",
                                RequestTemplates={"$default": '{"statusCode": 200}'})["IntegrationId"]
    v2.create_integration_response(
        ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="$default",
        TemplateSelectionExpression="${integration.response.statuscode}",
        ResponseTemplates={"200": '{"pong": "$context.connectionId", "event": "$context.eventType"}',
                           "$default": '{"unexpected": true}'})
    add_route(v2, api_id, "ping", iid)
    add_route(v2, api_id, "$connect", iid, two_way=False)
    with connect(deploy(wcloud, v2, api_id)) as ws:
        answer = json.loads(ask(ws, {"action": "ping"}))
        connection_id = wcloud.websocket_apis.open_connections(api_id)[0]
    assert answer == {"pong": connection_id, "event": "MESSAGE"}
    assert not wcloud.invocations


def test_mock_connect_refuses_with_the_status_its_template_renders(wcloud):
    v2, api_id = new_api(wcloud)
    iid = v2.create_integration(ApiId=api_id, IntegrationType="MOCK", TemplateSelectionExpression="\\$default",
                                RequestTemplates={"$default": '{"statusCode": 403}'})["IntegrationId"]
    v2.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="$default")
    add_route(v2, api_id, "$connect", iid, two_way=False)
    with pytest.raises(InvalidStatus) as refused:
        connect(deploy(wcloud, v2, api_id))
    assert refused.value.response.status_code == 403


# -- $connect authorizer cache ----------------------------------------------------------------------


def authorized_api(cloud, **ttl):
    v2, api_id = new_api(cloud)
    lam = cloud.client("lambda")
    arn = make_function(lam, "auth", AUTHORIZER)["FunctionArn"]
    lam.add_permission(FunctionName="auth", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api_id}/*")
    auth_id = v2.create_authorizer(ApiId=api_id, AuthorizerType="REQUEST", Name="hdr",
                                   IdentitySource=["route.request.header.Auth"],
                                   AuthorizerUri=lambda_uri(cloud, arn), **ttl)["AuthorizerId"]
    iid = v2.create_integration(ApiId=api_id, IntegrationType="MOCK", TemplateSelectionExpression="\\$default",
                                RequestTemplates={"$default": '{"statusCode": 200}'})["IntegrationId"]
    v2.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="$default",
                                   TemplateSelectionExpression="\\$default",
                                   ResponseTemplates={"$default": '"$context.authorizer.who"'})
    v2.create_route(ApiId=api_id, RouteKey="$connect", AuthorizationType="CUSTOM", AuthorizerId=auth_id,
                    Target=f"integrations/{iid}")
    add_route(v2, api_id, "who", iid)
    return deploy(cloud, v2, api_id)


def auth_calls(cloud):
    return [i.function_name for i in cloud.invocations].count("auth")


def connect_as(url, token):
    with connect(url, additional_headers={"Auth": token}) as ws:
        return ask(ws, {"action": "who"})


@pytest.mark.parametrize("ttl", [{"AuthorizerResultTtlInSeconds": 300}, {"AuthorizerResultTtlInSeconds": 0}, {}],
                         ids=["300", "zero", "unset"])
def test_websocket_authorizer_runs_on_every_connect_whatever_its_ttl(wcloud, ttl):
    """AWS caches authorizer results only for HTTP APIs (botocore: "Supported only for HTTP API Lambda authorizers")."""
    url = authorized_api(wcloud, **ttl)
    assert connect_as(url, "alice") == '"alice"'
    wcloud.clock.advance(10)
    assert connect_as(url, "alice") == '"alice"'  # same identity, within any TTL: invoked again
    assert auth_calls(wcloud) == 2


def test_missing_identity_source_is_401_without_invoking(wcloud):
    url = authorized_api(wcloud, AuthorizerResultTtlInSeconds=300)
    with pytest.raises(InvalidStatus) as missing:
        connect(url)
    assert missing.value.response.status_code == 401
    assert auth_calls(wcloud) == 0


# -- selection expressions (pure) ---------------------------------------------------------------------


def test_selection_expressions_read_the_body_status_and_headers():
    from minilambda.apigateway.websocket_mapping import evaluate

    message = '{"action": "join", "room": {"id": 7}}'
    assert evaluate("${request.body.action}-v${request.body.room.id}", message) == "join-v7"
    assert evaluate("$request.body.missing", message) == ""
    assert evaluate("\\$default", message) == "$default"
    assert evaluate("${integration.response.statuscode}", message, status=404) == "404"
    assert evaluate("${integration.response.header.X-Kind}", message, headers={"x-kind": "k"}) == "k"
    assert evaluate("${request.body.action}", "not json") == ""
    assert evaluate(None, message) is None


def test_an_empty_selection_key_does_not_fall_back_to_application_json():
    from minilambda.apigateway.vtl import UnsupportedMediaType
    from minilambda.apigateway.websocket_mapping import request_payload

    integration = {"TemplateSelectionExpression": "${request.body.kind}", "PassthroughBehavior": "NEVER",
                   "RequestTemplates": {"application/json": '{"t": 1}'}}
    with pytest.raises(UnsupportedMediaType):
        request_payload(integration, '{"other": 1}', {}, {})
    integration["PassthroughBehavior"] = "WHEN_NO_MATCH"
    assert request_payload(integration, '{"other": 1}', {}, {}) == '{"other": 1}'
