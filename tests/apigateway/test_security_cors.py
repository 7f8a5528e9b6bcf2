"""CORS: HTTP API preflights answered by the gateway, headers on responses, REST's OPTIONS mock calls."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from minilambda.apigateway.cors import (
    CorsConfiguration, apply_cors, enable_rest_cors, gateway_response_cors_parameters, preflight_response,
    response_headers,
)

CONFIG = CorsConfiguration.from_aws({
    "AllowOrigins": ["https://app.example.com", "http://*"], "AllowMethods": ["GET", "post"],
    "AllowHeaders": ["Authorization", "Content-Type"], "ExposeHeaders": ["x-request-id"],
    "MaxAge": 300, "AllowCredentials": True})
PREFLIGHT = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}


def test_preflight_answered_by_the_gateway():
    answer = preflight_response(CONFIG, PREFLIGHT)
    assert (answer.status_code, answer.body) == (204, "")
    assert dict(answer.headers) == {
        "access-control-allow-origin": "https://app.example.com", "vary": "origin",
        "access-control-allow-methods": "GET,POST", "access-control-allow-headers": "Authorization,Content-Type",
        "access-control-max-age": "300", "access-control-allow-credentials": "true"}


@pytest.mark.parametrize("method, headers", [
    ("GET", PREFLIGHT),  # not OPTIONS
    ("OPTIONS", {"Origin": "https://app.example.com"}),  # no Access-Control-Request-Method
    ("OPTIONS", {"Access-Control-Request-Method": "GET"}),  # no Origin
])
def test_not_a_preflight_goes_to_routing(method, headers):
    assert preflight_response(CONFIG, headers, method) is None
    assert preflight_response(None, PREFLIGHT) is None  # no CorsConfiguration


@pytest.mark.parametrize("change", [
    {"Origin": "https://evil.example.com"}, {"Access-Control-Request-Method": "DELETE"},
    {"Access-Control-Request-Headers": "x-secret"},
])
def test_refused_preflight_has_no_cors_headers(change):
    answer = preflight_response(CONFIG, PREFLIGHT | change)
    assert answer is not None and answer.headers == {}


def test_scheme_wildcard_origin():
    answer = preflight_response(CONFIG, PREFLIGHT | {"Origin": "http://localhost:3000"})
    assert answer.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert preflight_response(CONFIG, PREFLIGHT | {"Origin": "https://other.com"}).headers == {}


def test_star_origin_and_star_headers_and_methods():
    config = CorsConfiguration(("*",), ("*",), ("*",))
    answer = preflight_response(config, PREFLIGHT | {"Access-Control-Request-Method": "DELETE"})
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-headers"] == "authorization,content-type"
    assert "access-control-allow-credentials" not in answer.headers


def test_responses_get_configured_headers_and_lose_backend_ones():
    backend = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*", "access-control-max-age": "9"}
    out = apply_cors(CONFIG, {"origin": "https://app.example.com"}, backend)
    assert out == {"Content-Type": "application/json", "access-control-allow-origin": "https://app.example.com",
                   "vary": "origin", "access-control-expose-headers": "x-request-id",
                   "access-control-allow-credentials": "true"}
    assert apply_cors(CONFIG, {}, backend) == {"Content-Type": "application/json"}
    assert apply_cors(None, {}, backend) == backend  # no CorsConfiguration: the backend decides


def test_configuration_rules():
    with pytest.raises(ValueError, match="MaxAge"):
        CorsConfiguration(max_age=86401).validate()
    with pytest.raises(ValueError, match="AllowCredentials"):
        CorsConfiguration(("*",), allow_credentials=True).validate()
    CorsConfiguration(("https://a.com",), allow_credentials=True, max_age=-1).validate()
    assert CorsConfiguration.from_aws(None) is None


@mock_aws
def test_rest_enable_cors_calls_are_valid_apigateway_calls():
    client = boto3.client("apigateway", region_name="us-east-1")
    api = client.create_rest_api(name="pets")
    root = client.get_resources(restApiId=api["id"])["items"][0]["id"]
    enable_rest_cors(client, api["id"], root, ["get", "POST"])
    response = client.get_integration_response(restApiId=api["id"], resourceId=root, httpMethod="OPTIONS",
                                               statusCode="200")
    assert response["responseParameters"] == {
        "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'",
        "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS,POST'",
        "method.response.header.Access-Control-Allow-Origin": "'*'"}
    assert client.get_integration(restApiId=api["id"], resourceId=root, httpMethod="OPTIONS")["type"] == "MOCK"
    client.put_gateway_response(restApiId=api["id"], responseType="DEFAULT_4XX",
                                responseParameters=gateway_response_cors_parameters())


def test_raw_aws_dict_and_tuple_unpacking():
    raw = {"AllowOrigins": ["*"], "AllowMethods": ["GET"]}
    status, headers = preflight_response(raw, {"origin": "https://x.com", "access-control-request-method": "GET"})
    assert (status, headers["access-control-allow-origin"]) == (204, "*")
    assert response_headers(raw, {"Origin": "https://x.com"}) == {"access-control-allow-origin": "*"}
    assert response_headers(raw, {}) == {}
