"""Lambda authorizers: wildcard ARNs, IAM evaluation, events, identity sources, context, cache, bodies."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given, settings, strategies as st

DETERMINISTIC = settings(derandomize=True, database=None, deadline=None)

from minilambda.apigateway.policy import (
    AuthorizerCache, AuthorizerConfig, AuthorizerUnavailable, AuthRequest, authorize,
    evaluate_policy, method_arn, validate_ttl, wildcard_match,
)

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7"
T0 = 1_800_000_000.0


def _policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _stmt(effect, resource, action="execute-api:Invoke"):
    return {"Action": action, "Effect": effect, "Resource": resource}


def _allow_all(event):
    return {"principalId": "user-1", "policyDocument": _policy(_stmt("Allow", "*")),
            "context": {"s": "v", "n": 1, "b": True, "f": 1.5}, "usageIdentifierKey": "key-abc"}, None


class Recorder:
    """An authorizer Lambda stand-in that records every event and answers from a function."""

    def __init__(self, answer=_allow_all):
        self.events, self.answer = [], answer

    def __call__(self, event):
        self.events.append(event)
        return self.answer(event)


def _rest_event(headers=None, query=None, stage_vars=None):
    return {"resource": "/pets/{id}", "path": "/pets/7", "httpMethod": "GET",
            "headers": headers, "multiValueHeaders": None, "queryStringParameters": query,
            "multiValueQueryStringParameters": None, "pathParameters": {"id": "7"},
            "stageVariables": stage_vars,
            "requestContext": {"stage": "prod", "identity": {"sourceIp": "127.0.0.1"}}}


TOKEN = AuthorizerConfig("auth1", "REST", "TOKEN", ("method.request.header.Auth",))


def test_method_arn_shape():
    assert method_arn("us-east-1", "123456789012", "abc123", "prod", "GET", "/pets/7") == ARN
    assert method_arn("us-east-1", "1", "a", "s", "GET", "/").endswith("a/s/GET/")


@pytest.mark.parametrize("pattern, matches", [
    ("*", True), (ARN, True), ("arn:aws:execute-api:us-east-1:123456789012:abc123/*", True),
    ("arn:aws:execute-api:*:*:abc123/prod/GET/pets/*", True),
    ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/?", True),
    ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/??", False),
    ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/*", False),
    ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/get/pets/7", False),  # case matters
    ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets", False),  # whole string
])
def test_wildcard_arn_matching(pattern, matches):
    assert wildcard_match(pattern, ARN) is matches


_chars = st.sampled_from(list("ab/:*?.[]"))


@DETERMINISTIC
@given(pattern=st.text(_chars, max_size=8), value=st.text(st.sampled_from(list("ab/:.[]")), max_size=8))
def test_wildcards_agree_with_fnmatch_reference(pattern, value):
    """fnmatch without its [] classes is IAM's two wildcards; escape [ so fnmatch reads it literally."""
    reference = fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))
    assert wildcard_match(pattern, value) is reference


def test_explicit_deny_wins_over_allow():
    policy = _policy(_stmt("Allow", "*"), _stmt("Deny", ARN))
    assert evaluate_policy(policy, ARN) == "Deny"


def test_no_matching_statement_is_not_allowed():
    policy = _policy(_stmt("Allow", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/*"))
    assert evaluate_policy(policy, ARN) == "NotAllowed"
    assert evaluate_policy(_policy(), ARN) == "NotAllowed"


def test_action_lists_wildcards_and_not_forms():
    assert evaluate_policy(_policy(_stmt("Allow", [ARN], ["s3:GetObject", "execute-api:*"])), ARN) == "Allow"
    assert evaluate_policy(_policy(_stmt("Allow", ARN, "s3:*")), ARN) == "NotAllowed"
    assert evaluate_policy(_policy(_stmt("Allow", ARN, "EXECUTE-API:invoke")), ARN) == "Allow"
    not_resource = {"Effect": "Deny", "Action": "*", "NotResource": "*/GET/*"}
    assert evaluate_policy(_policy(_stmt("Allow", "*"), not_resource), ARN) == "Allow"
    assert evaluate_policy({"Statement": _stmt("Allow", ARN)}, ARN) == "Allow"  # single statement
    conditioned = dict(_stmt("Allow", "*"), Condition={"IpAddress": {"aws:SourceIp": "1.2.3.4"}})
    assert evaluate_policy(_policy(conditioned), ARN) == "NotAllowed"


def test_token_authorizer_event_and_rest_context():
    recorder = Recorder()
    result = authorize(TOKEN, AuthRequest(ARN, _rest_event({"auth": "tok"})), recorder, AuthorizerCache(), T0)
    assert recorder.events == [{"type": "TOKEN", "authorizationToken": "tok", "methodArn": ARN}]
    assert result.allowed and result.invoked and not result.cached
    assert result.context == {"s": "v", "n": "1", "b": "true", "f": "1.5", "principalId": "user-1"}
    assert result.usage_identifier_key == "key-abc"


@pytest.mark.parametrize("headers", [None, {}, {"Auth": ""}])
def test_missing_identity_source_is_401_without_invoking(headers):
    recorder = Recorder()
    result = authorize(TOKEN, AuthRequest(ARN, _rest_event(headers)), recorder, AuthorizerCache(), T0)
    assert (result.status_code, result.body, result.error_type, result.gateway_response) == (
        401, '{"message":"Unauthorized"}', "UnauthorizedException", "UNAUTHORIZED")
    assert recorder.events == [] and not result.invoked


def test_identity_validation_expression_mismatch_is_401_without_invoking():
    config = AuthorizerConfig.from_rest({"id": "a", "type": "TOKEN", "identitySource": "method.request.header.Auth",
                                         "identityValidationExpression": "Bearer [a-z]+"})
    recorder = Recorder()
    refused = authorize(config, AuthRequest(ARN, _rest_event({"Auth": "Bearer 123"})), recorder, AuthorizerCache(), T0)
    assert refused.status_code == 401 and recorder.events == []
    assert authorize(config, AuthRequest(ARN, _rest_event({"Auth": "Bearer abc"})), recorder,
                     AuthorizerCache(), T0).allowed


def test_explicit_deny_body_has_capital_message():
    deny = Recorder(lambda e: ({"principalId": "u", "policyDocument": _policy(_stmt("Deny", "*"))}, None))
    result = authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), deny, AuthorizerCache(), T0)
    assert (result.status_code, result.body, result.gateway_response) == (
        403, '{"Message":"User is not authorized to access this resource with an explicit deny"}', "ACCESS_DENIED")
    assert len(result.body) == 82  # the content-length of the captured AWS reply


def test_policy_not_covering_method_is_403_not_authorized():
    other = Recorder(lambda e: ({"principalId": "u", "policyDocument": _policy(_stmt("Allow", "*/POST/*"))}, None))
    result = authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), other, AuthorizerCache(), T0)
    assert (result.status_code, result.body) == (403, '{"Message":"User is not authorized to access this resource"}')


@pytest.mark.parametrize("payload, error", [
    ({"errorMessage": "Unauthorized", "errorType": "Exception"}, "Unhandled"),
    ("Unauthorized", None),
])
def test_authorizer_saying_unauthorized_is_401(payload, error):
    result = authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), Recorder(lambda e: (payload, error)),
                       AuthorizerCache(), T0)
    assert (result.status_code, result.body, result.invoked) == (401, '{"message":"Unauthorized"}', True)


@pytest.mark.parametrize("payload, error", [
    ({"errorMessage": "boom", "errorType": "KeyError"}, "Unhandled"),
    ({"principalId": "u"}, None),  # no policy
    ({"policyDocument": _policy(_stmt("Allow", "*"))}, None),  # no principalId
    ({"principalId": "u", "policyDocument": _policy(_stmt("Allow", "*")), "context": {"o": {"x": 1}}}, None),
    ({"principalId": "u", "policyDocument": _policy(_stmt("Allow", "*")), "context": {"a": [1]}}, None),
    (["not", "an", "object"], None),
])
def test_authorizer_error_or_bad_output_is_500(payload, error):
    result = authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), Recorder(lambda e: (payload, error)),
                       AuthorizerCache(), T0)
    assert (result.status_code, result.error_type, result.gateway_response) == (
        500, "AuthorizerConfigurationException", "AUTHORIZER_CONFIGURATION_ERROR")


def test_authorizer_that_cannot_be_invoked_is_500():
    def unavailable(event):
        raise AuthorizerUnavailable("Invalid permissions on Lambda function")
    result = authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), unavailable, AuthorizerCache(), T0)
    assert result.status_code == 500 and "Invalid permissions" in result.log_line


def test_cache_reuses_policy_for_other_methods_until_ttl():
    recorder = Recorder(lambda e: ({"principalId": "u", "policyDocument": _policy(_stmt("Allow", ARN))}, None))
    cache, other_arn = AuthorizerCache(), ARN.replace("/GET/", "/DELETE/")
    first = authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), recorder, cache, T0)
    second = authorize(TOKEN, AuthRequest(other_arn, _rest_event({"Auth": "t"})), recorder, cache, T0 + 299)
    assert first.allowed and not second.allowed and second.cached  # cached policy, other method
    assert len(recorder.events) == 1
    authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), recorder, cache, T0 + 300)
    assert len(recorder.events) == 2  # expired after the default 300 s
    authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "other"})), recorder, cache, T0 + 301)
    assert len(recorder.events) == 3  # another token is another key


def test_ttl_zero_disables_cache_and_failures_are_not_cached():
    config = AuthorizerConfig("a", "REST", "TOKEN", ("method.request.header.Auth",), ttl_seconds=0)
    recorder, cache = Recorder(), AuthorizerCache()
    for _ in range(2):
        authorize(config, AuthRequest(ARN, _rest_event({"Auth": "t"})), recorder, cache, T0)
    assert len(recorder.events) == 2
    failing = Recorder(lambda e: ({"errorMessage": "Unauthorized"}, "Unhandled"))
    for _ in range(2):
        authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), failing, cache, T0)
    assert len(failing.events) == 2


def test_ttl_bounds_and_default():
    assert AuthorizerConfig.from_rest({"id": "a", "type": "TOKEN"}).ttl_seconds == 300
    validate_ttl(0)
    validate_ttl(3600)
    with pytest.raises(ValueError, match="between 0 and 3600"):
        validate_ttl(3601)


def test_rest_request_authorizer_event_and_multiple_identity_sources():
    config = AuthorizerConfig.from_rest({
        "id": "r", "type": "REQUEST", "authorizerResultTtlInSeconds": 60,
        "identitySource": "method.request.header.HeaderAuth1, method.request.querystring.QueryString1, "
                          "stageVariables.StageVar1, context.identity.sourceIp"})
    event = _rest_event({"headerauth1": "h"}, {"QueryString1": "q"}, {"StageVar1": "s"})
    recorder, cache = Recorder(), AuthorizerCache()
    assert authorize(config, AuthRequest(ARN, event), recorder, cache, T0).allowed
    sent = recorder.events[0]
    assert sent["type"] == "REQUEST" and sent["methodArn"] == ARN
    assert sent["headers"] == {"headerauth1": "h"} and sent["pathParameters"] == {"id": "7"}
    assert list(sent)[:2] == ["type", "methodArn"] and "body" not in sent
    missing_query = _rest_event({"headerauth1": "h"}, None, {"StageVar1": "s"})
    assert authorize(config, AuthRequest(ARN, missing_query), recorder, cache, T0).status_code == 401
    changed_stage_var = _rest_event({"headerauth1": "h"}, {"QueryString1": "q"}, {"StageVar1": "t"})
    authorize(config, AuthRequest(ARN, changed_stage_var), recorder, cache, T0)
    assert len(recorder.events) == 2  # every identity source is part of the cache key


def _v2_event():
    return {"version": "2.0", "routeKey": "GET /pets/{id}", "rawPath": "/pets/7", "rawQueryString": "",
            "headers": {"authorization": "secret", "user-agent": "x"}, "pathParameters": {"id": "7"},
            "requestContext": {"routeKey": "GET /pets/{id}", "stage": "$default"}, "body": "ignored",
            "isBase64Encoded": False}


def test_http_v2_simple_response_allow_deny_and_context():
    config = AuthorizerConfig.from_http({"AuthorizerId": "h", "AuthorizerType": "REQUEST",
                                         "IdentitySource": ["$request.header.Authorization", "$context.routeKey"],
                                         "AuthorizerPayloadFormatVersion": "2.0", "EnableSimpleResponses": True})
    allow = Recorder(lambda e: ({"isAuthorized": True, "context": {"user": {"id": 7}, "tags": ["a"]}}, None))
    result = authorize(config, AuthRequest(ARN, _v2_event()), allow, AuthorizerCache(), T0)
    assert result.allowed and result.context == {"lambda": {"user": {"id": 7}, "tags": ["a"]}}
    sent = allow.events[0]
    assert sent["version"] == "2.0" and sent["type"] == "REQUEST" and sent["routeArn"] == ARN
    assert sent["identitySource"] == ["secret", "GET /pets/{id}"] and "body" not in sent
    deny = Recorder(lambda e: ({"isAuthorized": False}, None))
    refused = authorize(config, AuthRequest(ARN, _v2_event()), deny, AuthorizerCache(), T0)
    assert (refused.status_code, refused.body, refused.error_type) == (403, '{"message":"Forbidden"}', None)
    bad = Recorder(lambda e: ({"isAuthorized": "yes"}, None))
    failed = authorize(config, AuthRequest(ARN, _v2_event()), bad, AuthorizerCache(), T0)
    assert (failed.status_code, failed.body) == (500, '{"message":"Internal Server Error"}')


def test_http_v1_authorizer_event_joins_identity_sources():
    config = AuthorizerConfig("h1", "HTTP", "REQUEST", ("$request.header.Authorization", "$request.querystring.k"),
                              payload_format_version="1.0")
    event = _rest_event({"Authorization": "user1"}, {"k": "123"})
    recorder = Recorder()
    result = authorize(config, AuthRequest(ARN, event), recorder, AuthorizerCache(), T0)
    sent = recorder.events[0]
    assert (sent["version"], sent["identitySource"], sent["authorizationToken"]) == ("1.0", "user1,123", "user1,123")
    assert result.context["n"] == 1 and result.context["principalId"] == "user-1"  # HTTP keeps JSON types


def test_websocket_connect_event_has_empty_maps():
    config = AuthorizerConfig.from_websocket({"AuthorizerId": "w", "IdentitySource": ["route.request.header.Auth"]})
    event = {"headers": {"Auth": "t"}, "multiValueHeaders": {"Auth": ["t"]}, "requestContext": {"routeKey": "$connect"}}
    recorder = Recorder()
    authorize(config, AuthRequest(ARN.replace("GET/pets/7", "$connect"), event), recorder, AuthorizerCache(), T0)
    sent = recorder.events[0]
    assert sent["queryStringParameters"] == {} and sent["stageVariables"] == {}
    assert sent["methodArn"].endswith("/prod/$connect")


def test_cache_flush():
    recorder, cache = Recorder(), AuthorizerCache()
    authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), recorder, cache, T0)
    cache.flush("other")
    authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), recorder, cache, T0)
    cache.flush()
    authorize(TOKEN, AuthRequest(ARN, _rest_event({"Auth": "t"})), recorder, cache, T0)
    assert len(recorder.events) == 2


_resources = st.sampled_from(["*", ARN, "arn:aws:execute-api:*:*:abc123/prod/GET/*", "*/POST/*", "*/GET/pets/?"])
_statements = st.lists(st.builds(_stmt, st.sampled_from(["Allow", "Deny"]), _resources), max_size=6)


@DETERMINISTIC
@given(statements=_statements, data=st.data())
def test_policy_outcome_ignores_statement_order_and_follows_iam(statements, data):
    """Reference: any matching Deny → Deny; else any matching Allow → Allow; else not allowed."""
    matching = [s["Effect"] for s in statements if wildcard_match(s["Resource"], ARN)]
    expected = "Deny" if "Deny" in matching else "Allow" if "Allow" in matching else "NotAllowed"
    shuffled = data.draw(st.permutations(statements))
    assert evaluate_policy(_policy(*statements), ARN) == expected
    assert evaluate_policy(_policy(*shuffled), ARN) == expected
