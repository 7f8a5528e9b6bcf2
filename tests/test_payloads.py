"""Event builders: AWS's shapes, checked against recorded AWS events where we have them."""

from __future__ import annotations

import copy
import hashlib
import json
import random

import pytest

from golden import assert_matches, load_case
from minilambda import payloads as ev

# ------------------------------------------------------------------ API Gateway REST (payload 1.0)

_CLIENT_HEADERS = [("User-Agent", "python-requests/testing"), ("Accept-Encoding", "gzip, deflate"),
                   ("Accept", "*/*")]
_TEST_HEADERS = [("tEsT-HEADeR", "aValUE"), ("authorization", "random-value")]

# (case, match key, method, path (no stage), resource, proxy, query, headers, body, requestContext.path)
_REST_CASES = [
    ("rest_proxy_event_get", "invocation-payload-without-trailing-slash", "GET", "/proxy-value", "/{proxy+}",
     "proxy-value", None, _TEST_HEADERS, None, "/stage/proxy-value"),
    ("rest_proxy_event_query_strings", "invocation-payload-with-trailing-slash-and-query-params", "GET",
     "/proxy-value/", "/{proxy+}", "proxy-value", "urlparam=test", _TEST_HEADERS, None, "/stage/proxy-value/"),
    ("rest_proxy_event_query_strings", "invocation-payload-with-params-encoding", "GET", "/proxy-value/api",
     "/{proxy+}", "proxy-value/api",
     "dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com&plus=test+alias@gmail.com"
     "&url=https://www.google.com/&whitespace=foo bar&zhash=abort/#&ignored=this-does-not-appear-after-the-hash",
     _TEST_HEADERS, None, "/stage/proxy-value/api"),
    ("rest_proxy_event_post_multivalue", "invocation-payload-with-params-encoding-multi", "POST", "/proxy-value",
     "/{proxy+}", "proxy-value", "category=electronics&category=books&price=10&price=20&price=30",
     [("Content-Type", "application/json;charset=utf-8"), ("aUThorization", "Bearer token123;API key456")],
     '{"message": "hello world"}', "/stage/proxy-value"),
    ("rest_proxy_event_path_edge_cases", "invocation-payload-with-double-slash", "GET",
     "/proxy-value//double-slash", "/{proxy+}", "proxy-value//double-slash", None, _TEST_HEADERS, None,
     "/stage/proxy-value//double-slash"),
    ("rest_proxy_event_path_edge_cases", "invocation-payload-with-prepended-slash-to-stage", "GET",
     "/proxy-value", "/{proxy+}", "proxy-value", None, _TEST_HEADERS, None, "/stage/proxy-value"),
    ("rest_proxy_event_path_edge_cases", "invocation-payload-with-prepended-slash", "GET", "/proxy-value",
     "/{proxy+}", "proxy-value", None, _TEST_HEADERS, None, "/stage//proxy-value"),
    ("rest_proxy_event_path_edge_cases", "invocation-payload-with-path-encoded-email", "GET",
     "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com", "/{proxy+}",
     "proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com", None, _TEST_HEADERS, None,
     "/stage/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com"),
    ("rest_proxy_event_path_edge_cases", "invocation-hardcoded", "GET", "/hardcoded", "/hardcoded", None, None,
     _TEST_HEADERS, None, "/stage//hardcoded"),
]


def _without_edge_headers(recorded: dict) -> dict:
    """Drop the CloudFront headers (the recording used an edge endpoint; optional for us) and undo
    the test's masking of X-Forwarded-* in multiValueHeaders (lists on AWS)."""
    rec = copy.deepcopy(recorded)
    for part in ("headers", "multiValueHeaders"):
        for k in list(rec[part]):
            if k.startswith("CloudFront-") or k in ("Via", "X-Amz-Cf-Id"):
                del rec[part][k]
    for k in ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"):
        rec["multiValueHeaders"][k] = [rec["headers"][k]]
    return rec


@pytest.mark.parametrize("case, key, method, path, resource, proxy, query, headers, body, ctx_path", _REST_CASES,
                         ids=[c[1] for c in _REST_CASES])
def test_rest_event_matches_aws_recording(case, key, method, path, resource, proxy, query, headers, body, ctx_path):
    recorded = _without_edge_headers(load_case(case, "apigateway.json")[key])
    ours = ev.api_gateway_rest_event(
        method, path, resource=resource, path_parameters={"proxy": proxy} if proxy else None, query=query,
        headers=_CLIENT_HEADERS + headers, body=body, stage="stage", gateway_headers=True,
        context_path=ctx_path, rng=random.Random(7))
    assert_matches(ours, recorded)


def test_rest_event_shape_and_nulls():
    e = ev.api_gateway_rest_event("GET", "/", rng=random.Random(1), time=1583349317.135)
    assert list(e) == ["resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
                       "multiValueQueryStringParameters", "requestContext", "pathParameters", "stageVariables",
                       "body", "isBase64Encoded"]
    assert e["headers"] is None and e["queryStringParameters"] is None and e["body"] is None
    assert e["requestContext"]["requestTime"] == "04/Mar/2020:19:15:17 +0000"
    assert e["requestContext"]["requestTimeEpoch"] == 1583349317135
    assert e["requestContext"]["path"] == "/prod/"
    # deterministic with an rng
    assert e == ev.api_gateway_rest_event("GET", "/", rng=random.Random(1), time=1583349317.135)


def test_rest_event_dict_query_and_binary_body():
    e = ev.api_gateway_rest_event("POST", "/x", query={"a": ["1", "2"], "b": "3"}, body=b"\xff\x00")
    assert e["queryStringParameters"] == {"a": "2", "b": "3"}
    assert e["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["3"]}
    assert e["isBase64Encoded"] is True and e["body"] == "/wA="
    assert ev.api_gateway_rest_event("POST", "/x", body={"k": 1})["body"] == '{"k": 1}'


# ------------------------------------------------------------------ API Gateway HTTP (payload 2.0)


def test_http_event_shape():
    e = ev.api_gateway_http_event(
        "POST", "/my/path", route_key="POST /my/{id}", path_parameters={"id": "path"},
        headers=[("Header1", "value1"), ("header2", "value1"), ("Header2", "value2"), ("Cookie", "cookie1; cookie2")],
        query="parameter1=value1&parameter1=value2&parameter2=value", body="Hello from Lambda",
        stage_variables={"stageVariable1": "value1"}, time=1583348638.390, rng=random.Random(3))
    assert list(e) == ["version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
                       "queryStringParameters", "requestContext", "body", "pathParameters", "isBase64Encoded",
                       "stageVariables"]
    assert e["headers"] == {"header1": "value1", "header2": "value1,value2"}
    assert e["cookies"] == ["cookie1", "cookie2"]
    assert e["queryStringParameters"] == {"parameter1": "value1,value2", "parameter2": "value"}
    assert e["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value"
    ctx = e["requestContext"]
    assert ctx["http"] == {"method": "POST", "path": "/my/path", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                           "userAgent": ""}
    assert ctx["routeKey"] == "POST /my/{id}" and ctx["stage"] == "$default"
    assert ctx["time"] == "04/Mar/2020:19:03:58 +0000" and ctx["timeEpoch"] == 1583348638390


def test_http_event_omits_absent_parts_and_prefixes_named_stage():
    e = ev.api_gateway_http_event("GET", "/items", stage="dev")
    for absent in ("cookies", "queryStringParameters", "pathParameters", "stageVariables", "body"):
        assert absent not in e
    assert e["rawPath"] == "/dev/items" and e["rawQueryString"] == "" and e["routeKey"] == "$default"
    assert "authorizer" not in e["requestContext"]


# ------------------------------------------------------------------ SQS


def test_sqs_record_matches_aws_recording():
    recorded = load_case("sqs_event_source_mapping_event_shape")["events"][0]
    arn = "arn:aws:sqs:us-east-1:123456789012:my-queue"
    ours = ev.sqs_event(['{"foo": "bar"}'], queue_arn=arn, rng=random.Random(1), time=1_700_000_000)
    assert_matches(ours, recorded)
    assert list(ours["Records"][0]) == list(recorded["Records"][0])  # AWS's key order
    assert list(ours["Records"][0]["attributes"]) == list(recorded["Records"][0]["attributes"])


def test_sqs_record_from_service_message_matches_recording(tmp_path):
    from minilambda.clock import VirtualClock
    from minilambda.services.sqs import SqsBackend as SqsService

    svc = SqsService(VirtualClock(1_700_000_000), rng=random.Random(2))
    arn = svc.create("q").arn
    svc.send(arn, '{"foo": "bar"}')
    [msg] = svc.receive_batch(arn, 10)
    recorded = load_case("sqs_event_source_mapping_event_shape")["events"][0]
    ours = ev.sqs_event([msg])
    assert_matches(ours, recorded)
    assert ours["Records"][0]["md5OfBody"] == hashlib.md5(b'{"foo": "bar"}').hexdigest()


# ------------------------------------------------------------------ S3, SNS, EventBridge, DynamoDB


def test_s3_event_shape():
    e = ev.s3_event("DOC-EXAMPLE-BUCKET", "my photos/cat+dog.jpg", size=1305107,
                    etag='"b21b84d653bb07b05b1e6b33684dc11b"', region="us-east-2", time=1567539447.192,
                    sequencer="0C0F6F405D6ED209E1", rng=random.Random(0))
    r = e["Records"][0]
    assert r["eventVersion"] == "2.1" and r["eventSource"] == "aws:s3" and r["awsRegion"] == "us-east-2"
    assert r["eventTime"] == "2019-09-03T19:37:27.192Z" and r["eventName"] == "ObjectCreated:Put"
    assert set(r["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    assert r["s3"]["s3SchemaVersion"] == "1.0"
    assert r["s3"]["bucket"]["arn"] == "arn:aws:s3:::DOC-EXAMPLE-BUCKET"
    assert r["s3"]["object"] == {"key": "my+photos/cat%2Bdog.jpg", "size": 1305107,
                                 "eTag": "b21b84d653bb07b05b1e6b33684dc11b", "sequencer": "0C0F6F405D6ED209E1"}


def test_sns_event_shape():
    e = ev.sns_event("Hello from SNS!", topic_arn="arn:aws:sns:us-east-2:123456789012:sns-lambda",
                     subject="TestInvoke", attributes={"Test": {"Type": "String", "Value": "TestString"}},
                     message_id="95df01b4-ee98-5cb9-9903-4c221d41eb5e", time=1546433107, rng=random.Random(0))
    r = e["Records"][0]
    assert r["EventSubscriptionArn"].startswith("arn:aws:sns:us-east-2:123456789012:sns-lambda:")
    s = r["Sns"]
    assert s["Timestamp"] == "2019-01-02T12:45:07.000Z" and s["SignatureVersion"] == "1"
    assert s["SigningCertUrl"].startswith("https://sns.us-east-2.amazonaws.com/SimpleNotificationService-")
    assert s["UnsubscribeUrl"].startswith("https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=")
    assert s["MessageAttributes"] == {"Test": {"Type": "String", "Value": "TestString"}}
    assert ev.sns_event("x", attributes={"n": 5})["Records"][0]["Sns"]["MessageAttributes"] == {
        "n": {"Type": "Number", "Value": "5"}}


def test_sns_envelope():
    body = ev.sns_envelope("m", topic_arn="arn:aws:sns:us-east-1:123456789012:t", message_id="id", time=0)
    doc = json.loads(body)
    assert "Subject" not in doc and "MessageAttributes" not in doc
    assert doc["SigningCertURL"].startswith("https://") and doc["Timestamp"] == "1970-01-01T00:00:00.000Z"


def test_scheduled_event_matches_documentation_sample():
    e = ev.scheduled_event("arn:aws:events:us-east-2:123456789012:rule/my-schedule", time=1551403425,
                           event_id="cdc73f9d-aea9-11e3-9d5a-835b769c0d9c")
    assert e == {"version": "0", "account": "123456789012", "region": "us-east-2", "detail": {},
                 "detail-type": "Scheduled Event", "source": "aws.events", "time": "2019-03-01T01:23:45Z",
                 "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c",
                 "resources": ["arn:aws:events:us-east-2:123456789012:rule/my-schedule"]}
    assert len(ev.scheduled_event(rng=random.Random(1))["id"]) == 36


def test_dynamodb_stream_event():
    e = ev.dynamodb_stream_event(
        ("INSERT", {"Id": 101}, {"Message": "New item!", "Id": 101}),
        ("MODIFY", {"Id": 101}, {"Message": "This item has changed", "Id": 101}, {"Message": "New item!", "Id": 101}),
        ("REMOVE", {"Id": 101}, None, {"Message": "This item has changed", "Id": 101}),
        table_arn="arn:aws:dynamodb:us-west-2:111122223333:table/TestTable", rng=random.Random(0), time=1479499740)
    ins, mod, rem = e["Records"]
    assert ins["eventName"] == "INSERT" and ins["eventSource"] == "aws:dynamodb" and ins["awsRegion"] == "us-west-2"
    assert ins["eventSourceARN"] == "arn:aws:dynamodb:us-west-2:111122223333:table/TestTable/stream/2015-05-11T21:21:33.291"
    assert ins["dynamodb"]["Keys"] == {"Id": {"N": "101"}}
    assert ins["dynamodb"]["NewImage"] == {"Message": {"S": "New item!"}, "Id": {"N": "101"}}
    assert "OldImage" not in ins["dynamodb"] and ins["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert set(mod["dynamodb"]) >= {"NewImage", "OldImage"}
    assert "NewImage" not in rem["dynamodb"] and rem["dynamodb"]["OldImage"]["Message"] == {"S": "This item has changed"}
    assert [r["dynamodb"]["SequenceNumber"] for r in e["Records"]] == ["111", "112", "113"]
    assert ins["dynamodb"]["ApproximateCreationDateTime"] == 1479499740
    keys_only = ev.dynamodb_record("INSERT", {"Id": {"N": "1"}}, new_image={"Id": 1}, stream_view_type="KEYS_ONLY")
    assert "NewImage" not in keys_only["dynamodb"] and keys_only["dynamodb"]["Keys"] == {"Id": {"N": "1"}}
    with pytest.raises(ValueError):
        ev.dynamodb_record("UPSERT", {"Id": 1})


def test_md5_of_message_attributes_none_when_empty():
    assert ev.md5_of_message_attributes({}) is None


@pytest.mark.parametrize("name, dtype, value, digest", [
    # digests pinned as AWS's answers in moto's SQS tests
    ("SOME_Valid.attribute-Name", "Number", "1493147359900", "36655e7e9d7c0e8479fa3f3f42247ae7"),
    ("timestamp", "Number", "1493147359900", "235c5c510d26fb653d073faed50ae77c"),
    ("timestamp", "Number.java.lang.Long", "1493147359900", "2e2e4876d8e0bd6b8c2c8f556831c349"),
])
def test_md5_of_message_attributes_known_digests(name, dtype, value, digest):
    assert ev.md5_of_message_attributes({name: {"DataType": dtype, "StringValue": value}}) == digest
