"""Integrations other than Lambda proxy: AWS (Lambda with Velocity mapping templates), HTTP_PROXY
to a loopback server (REST and HTTP APIs), stage variables in URIs, binary media types."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from minilambda import Cloud

from .apigw_helpers import allow_apigateway, lambda_uri, make_function, rest_proxy_api


@pytest.fixture
def backend():
    """A loopback HTTP server that echoes method, path and body as JSON."""
    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            data = json.dumps({"method": self.command, "path": self.path, "body": body}).encode()
            self.send_response(207)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _reply

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rest_http_proxy_with_greedy_path_and_stage_variable(backend):
    with Cloud(clock="virtual", seed=1) as cloud:
        ag = cloud.client("apigateway")
        api = ag.create_rest_api(name="proxy")["id"]
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        res = ag.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")["id"]
        ag.put_method(restApiId=api, resourceId=res, httpMethod="ANY", authorizationType="NONE",
                      requestParameters={"method.request.path.proxy": True})
        ag.put_integration(restApiId=api, resourceId=res, httpMethod="ANY", type="HTTP_PROXY", integrationHttpMethod="ANY",
                           uri="http://${stageVariables.backend}/up/{proxy}")
        ag.create_deployment(restApiId=api, stageName="dev", variables={"backend": backend.split("//")[1]})
        response = requests.post(cloud.api_url(api, "dev") + "/a/b?x=1", data="hello", timeout=30)
        assert response.status_code == 207
        assert response.json() == {"method": "POST", "path": "/up/a/b?x=1", "body": "hello"}
        assert response.headers["x-amzn-RequestId"]


def test_http_api_http_proxy(backend):
    with Cloud(clock="virtual", seed=1) as cloud:
        v2 = cloud.client("apigatewayv2")
        api = v2.create_api(Name="p", ProtocolType="HTTP", Target=backend + "/base")["ApiId"]
        response = requests.get(cloud.api_url(api) + "/ignored", timeout=30)
        assert response.status_code == 207 and response.json()["path"] == "/base"
        assert "apigw-requestid" in response.headers


def test_unreachable_http_backend_is_a_gateway_error():
    with Cloud(clock="virtual", seed=1) as cloud:
        v2 = cloud.client("apigatewayv2")
        api = v2.create_api(Name="p", ProtocolType="HTTP", Target="http://127.0.0.1:9/none")["ApiId"]
        response = cloud.http("GET", cloud.api_url(api))
        assert response.status == 500 and cloud.api_requests[-1].error


@pytest.mark.process
def test_aws_integration_with_velocity_templates():
    source = "def handler(event, context):\n    return {'sum': event['a'] + event['b'], 'who': event['who']}\n"
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "add", source)
        ag = cloud.client("apigateway")
        api = ag.create_rest_api(name="aws")["id"]
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        res = ag.create_resource(restApiId=api, parentId=root, pathPart="{who}")["id"]
        ag.put_method(restApiId=api, resourceId=res, httpMethod="POST", authorizationType="NONE")
        ag.put_integration(restApiId=api, resourceId=res, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
                           uri=lambda_uri(arn), requestTemplates={"application/json": (
                               '{"a": $input.json(\'$.a\'), "b": $input.json(\'$.b\'), '
                               '"who": "$input.params(\'who\')"}')})
        ag.put_method_response(restApiId=api, resourceId=res, httpMethod="POST", statusCode="200")
        ag.put_integration_response(restApiId=api, resourceId=res, httpMethod="POST", statusCode="200",
                                    responseTemplates={"application/json": '{"total": $input.json(\'$.sum\'), '
                                                                           '"stage": "$context.stage"}'})
        ag.create_deployment(restApiId=api, stageName="dev")
        allow_apigateway(cloud, "add", api)
        response = requests.post(cloud.api_url(api, "dev") + "/ada", json={"a": 2, "b": 3}, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json() == {"total": 5, "stage": "dev"}
        invoked = cloud.invocations[-1]
        assert invoked.function_name == "add"


@pytest.mark.process
def test_binary_media_types_decode_base64_bodies():
    source = ("import base64\ndef handler(event, context):\n"
              "    assert event['isBase64Encoded'] and base64.b64decode(event['body']) == b'\\x89PNG'\n"
              "    return {'statusCode': 200, 'headers': {'Content-Type': 'image/png'},"
              " 'body': base64.b64encode(b'\\x89PNG-out').decode(), 'isBase64Encoded': True}\n")
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "img", source)
        api, _ = rest_proxy_api(cloud, arn, stage="dev")
        cloud.client("apigateway").update_rest_api(restApiId=api, patchOperations=[
            {"op": "add", "path": "/binaryMediaTypes/image~1png"}])
        response = requests.post(cloud.api_url(api, "dev") + "/up", data=b"\x89PNG",
                                 headers={"Content-Type": "image/png", "Accept": "image/png"}, timeout=30)
        assert response.status_code == 200, response.text
        assert response.content == b"\x89PNG-out"
        assert base64.b64encode(response.content)


@pytest.mark.process
def test_aws_integration_maps_lambda_errors_by_selection_pattern():
    source = "def handler(event, context):\n    raise KeyError('NotFound: no item ' + event['id'])\n"
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "get", source)
        ag = cloud.client("apigateway")
        api = ag.create_rest_api(name="errors")["id"]
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        ag.put_method(restApiId=api, resourceId=root, httpMethod="POST", authorizationType="NONE")
        ag.put_integration(restApiId=api, resourceId=root, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
                           uri=lambda_uri(arn))
        ag.put_integration_response(restApiId=api, resourceId=root, httpMethod="POST", statusCode="200",
                                    responseTemplates={"application/json": "$input.body"})
        ag.put_integration_response(restApiId=api, resourceId=root, httpMethod="POST", statusCode="404",
                                    selectionPattern=".*NotFound.*",
                                    responseTemplates={"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'})
        ag.create_deployment(restApiId=api, stageName="dev")
        allow_apigateway(cloud, "get", api)
        response = requests.post(cloud.api_url(api, "dev"), json={"id": "7"}, timeout=30)
        assert response.status_code == 404, response.text
        assert response.json() == {"error": "'NotFound: no item 7'"}
