"""Which service a loopback request is for, where signing names are shared or absent, and URI labels
that are not Python identifiers."""

from __future__ import annotations

import botocore.session
import pytest

from minilambda.wire import Request, service_of
from minilambda.wire.operations import OperationIndex

SCOPE = "AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=00"


def _request(method: str, url: str, headers: dict | None = None) -> Request:
    return Request.from_url(method, f"http://127.0.0.1:1{url}", headers or {}, b"")


@pytest.mark.parametrize("method,url,headers,service", [
    ("GET", "/2015-03-31/functions", {"authorization": SCOPE.format("lambda")}, "lambda"),
    ("POST", "/", {"authorization": SCOPE.format("dynamodb"), "x-amz-target": "DynamoDB_20120810.PutItem"},
     "dynamodb"),
    ("POST", "/", {"authorization": SCOPE.format("dynamodb"),
                   "x-amz-target": "DynamoDBStreams_20120810.ListStreams"}, "dynamodbstreams"),
    ("GET", "/restapis", {"authorization": SCOPE.format("apigateway")}, "apigateway"),
    ("GET", "/v2/apis", {"authorization": SCOPE.format("apigateway")}, "apigatewayv2"),
    ("POST", "/prod/@connections/abc%3D", {"authorization": SCOPE.format("execute-api")},
     "apigatewaymanagementapi"),
    ("POST", "/", {"x-amz-target": "AWSCognitoIdentityProviderService.SignUp"}, "cognito-idp"),
    ("PUT", "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261130%2Fus-east-1%2Fs3%2F"
            "aws4_request&X-Amz-Signature=00", {}, "s3"),
])
def test_the_service_is_named_from_the_scope_the_target_or_a_presigned_url(method, url, headers, service):
    assert service_of(_request(method, url, headers)) == service


def test_an_unsigned_request_falls_to_the_default():
    assert service_of(_request("GET", "/site/index.html")) is None
    assert service_of(_request("GET", "/site/index.html"), "s3") == "s3"


def test_labels_with_dashes_are_extracted_under_their_own_names():
    index = OperationIndex(botocore.session.get_session().get_service_model("apigatewayv2"))
    req = _request("GET", "/v2/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapis%2Fabc")
    assert index.name(req) == "GetTags"
    assert index.labels("GetTags", req) == {"resource-arn": "arn:aws:apigateway:us-east-1::/apis/abc"}
