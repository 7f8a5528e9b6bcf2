"""Naming operations from botocore's service models (the loopback path), and the one dispatch."""

from __future__ import annotations

import botocore.session
import pytest

from minilambda.wire import Adapter, Dispatcher, Request, Response
from minilambda.wire.operations import OperationIndex

_MODELS = botocore.session.get_session()


def _index(service: str) -> OperationIndex:
    return OperationIndex(_MODELS.get_service_model(service))


def _request(method: str, url: str, headers: dict | None = None, body: bytes = b"") -> Request:
    return Request.from_url(method, f"http://127.0.0.1:1{url}", headers or {}, body)


@pytest.mark.parametrize("method,url,headers,operation", [
    ("PUT", "/photos/cat.jpg", {}, "PutObject"),
    ("PUT", "/photos/cat.jpg", {"x-amz-copy-source": "/photos/dog.jpg"}, "CopyObject"),
    ("GET", "/photos?list-type=2&prefix=a", {}, "ListObjectsV2"),
    ("GET", "/photos?prefix=a", {}, "ListObjects"),
    ("GET", "/photos?location", {}, "GetBucketLocation"),
    ("POST", "/photos?delete", {}, "DeleteObjects"),
    ("HEAD", "/photos/a/b/c.txt", {}, "HeadObject"),
    ("GET", "/", {}, "ListBuckets"),
])
def test_rest_xml_requests_are_named_by_method_path_query_and_headers(method, url, headers, operation):
    assert _index("s3").name(_request(method, url, headers)) == operation


def test_rest_json_labels_are_extracted_and_decoded():
    index = _index("lambda")
    req = _request("POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/"
                           "invocations")
    assert index.name(req) == "Invoke"
    assert index.labels("Invoke", req) == {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f"}
    assert index.name(_request("GET", "/2015-03-31/functions/")) == "ListFunctions"
    assert index.name(_request("GET", "/no/such/path")) is None


def test_json_and_query_protocols_name_the_operation_from_target_and_action():
    assert _index("sqs").name(_request("POST", "/", {"X-Amz-Target": "AmazonSQS.SendMessage"})) == "SendMessage"
    assert _index("sns").name(_request("POST", "/", {}, b"Action=Publish&TopicArn=t")) == "Publish"


class _Echo(Adapter):
    def __init__(self) -> None:
        self.operations = {"ListFunctions": lambda req: Response.json({"op": req.operation})}


def test_one_dispatch_names_unnamed_requests_and_refuses_unknown_services_and_operations():
    dispatcher = Dispatcher()
    dispatcher.register("lambda", _Echo())
    named = dispatcher.dispatch("lambda", _request("GET", "/2015-03-31/functions/"))
    assert named.status == 200 and named.body == b'{"op": "ListFunctions"}'
    unknown_op = dispatcher.dispatch("lambda", _request("GET", "/2015-03-31/functions/f"))
    assert unknown_op.status == 404 and unknown_op.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    unknown_service = dispatcher.dispatch("kinesis", _request("GET", "/"))
    assert unknown_service.status == 400 and unknown_service.headers["x-amzn-ErrorType"] == "UnknownServiceException"
