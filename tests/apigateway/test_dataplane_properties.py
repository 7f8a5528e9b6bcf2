"""Whatever a client sends, the data plane answers with an HTTP status and AWS's JSON body — never a
Python exception (Hypothesis, derandomized; MOCK integrations, so no Lambda process starts)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minilambda import Cloud
from minilambda.apigateway.records import HttpRequest

from .test_frontdoor import mock_api

SEGMENT = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="/?#"),
                  min_size=0, max_size=8)
PATHS = st.lists(SEGMENT, min_size=0, max_size=5).map(lambda parts: "/" + "/".join(parts))
QUERIES = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="#"), max_size=20)
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO"])
HEADERS = st.lists(st.tuples(st.sampled_from(["x-api-key", "Authorization", "Content-Type", "X-Any", "Cookie"]),
                             st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)),
                   max_size=4)


@pytest.fixture(scope="module")
def apis():
    with Cloud(clock="virtual", seed=1) as cloud:
        rest = mock_api(cloud)
        http = cloud.client("apigatewayv2").create_api(Name="h", ProtocolType="HTTP",
                                                       Target="http://127.0.0.1:9/unreachable")["ApiId"]
        yield cloud, rest, http


@settings(max_examples=150, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=METHODS, path=PATHS, query=QUERIES, headers=HEADERS, body=st.binary(max_size=64),
       which=st.sampled_from(["rest", "http", "unknown"]))
def test_every_request_gets_an_aws_answer(apis, method, path, query, headers, body, which):
    cloud, rest, http = apis
    api_id = {"rest": rest, "http": http, "unknown": "nosuchapi"}[which]
    target = path + (f"?{query}" if query else "")
    response = cloud.apigateway.handle(api_id, HttpRequest(method, target, (("Host", "h"),) + tuple(headers), body))
    assert 200 <= response.status < 600
    if response.status >= 400:
        assert isinstance(json.loads(response.body), dict)
