"""The front door holds up: malformed requests, oversized headers, vanishing and slow clients,
200 concurrent keep-alive connections; MOCK APIs only, so no Lambda process is started."""

from __future__ import annotations

import http.client
import socket
import threading
from urllib.parse import urlsplit

import pytest

from minilambda import Cloud


def mock_api(cloud) -> str:
    ag = cloud.client("apigateway")
    api = ag.create_rest_api(name="mock")["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    ag.put_method(restApiId=api, resourceId=root, httpMethod="ANY", authorizationType="NONE")
    ag.put_integration(restApiId=api, resourceId=root, httpMethod="ANY", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    ag.put_integration_response(restApiId=api, resourceId=root, httpMethod="ANY", statusCode="200",
                                responseTemplates={"application/json": '{"ok": true}'})
    ag.create_deployment(restApiId=api, stageName="dev")
    return api


@pytest.fixture
def door():
    with Cloud(clock="virtual", seed=1) as cloud:
        api = mock_api(cloud)
        parts = urlsplit(cloud.api_url(api, "dev"))
        yield cloud, parts.hostname, parts.port


def get_ok(host: str, port: int) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", "/dev")
        return conn.getresponse().status
    finally:
        conn.close()


def raw(host: str, port: int, data: bytes) -> bytes:
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_malformed_request_line_gets_400_and_others_are_served(door):
    _, host, port = door
    assert raw(host, port, b"NOT A REQUEST\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert get_ok(host, port) == 200


def test_oversized_header_is_refused_as_431(door):
    _, host, port = door
    answer = raw(host, port, b"GET /dev HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 11_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431")
    assert get_ok(host, port) == 200


def test_vanishing_and_slow_clients_do_not_block_others(door):
    _, host, port = door
    for _ in range(20):  # connect, send half a request, vanish
        sock = socket.create_connection((host, port), timeout=10)
        sock.sendall(b"POST /dev HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        sock.close()
    slow = socket.create_connection((host, port), timeout=10)
    slow.sendall(b"GET /dev HTTP/1.1\r\n")  # never finishes its headers
    try:
        assert get_ok(host, port) == 200
    finally:
        slow.close()


def test_chunked_body_and_expect_continue(door):
    cloud, host, port = door
    answer = raw(host, port, b"POST /dev HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
                             b"Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    assert b"HTTP/1.1 100" in answer and b"HTTP/1.1 200" in answer
    assert cloud.api_requests[-1].request_bytes == 5


def test_200_concurrent_keep_alive_connections(door):
    cloud, host, port = door
    clients = 200
    ready = threading.Barrier(clients)
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.connect()
        ready.wait()
        for _ in range(3):  # three requests on the same connection
            conn.request("GET", "/dev")
            response = conn.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses.count(200) == clients * 3
    assert len(cloud.api_requests) == clients * 3


def test_rest_cors_the_consoles_way_options_mock_and_gateway_responses():
    from minilambda.apigateway.cors import enable_rest_cors, gateway_response_cors_parameters

    with Cloud(clock="virtual", seed=1) as cloud:
        ag = cloud.client("apigateway")
        api = mock_api(cloud)
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        ag.delete_method(restApiId=api, resourceId=root, httpMethod="ANY")
        ag.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        ag.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK",
                           requestTemplates={"application/json": '{"statusCode": 200}'})
        ag.put_integration_response(restApiId=api, resourceId=root, httpMethod="GET", statusCode="200",
                                    responseTemplates={"application/json": "{}"})
        enable_rest_cors(ag, api, root, ["GET"], origin="https://app.example")
        ag.put_gateway_response(restApiId=api, responseType="DEFAULT_4XX",
                                responseParameters=gateway_response_cors_parameters("https://app.example"))
        ag.create_deployment(restApiId=api, stageName="dev")
        url = cloud.api_url(api, "dev")
        preflight = cloud.http("OPTIONS", url, headers={"Origin": "https://app.example"})
        assert preflight.status == 200
        assert preflight.header("Access-Control-Allow-Origin") == "https://app.example"
        assert preflight.header("Access-Control-Allow-Methods") == "GET,OPTIONS"
        missing = cloud.http("GET", url + "/nope")
        assert missing.status == 403 and missing.header("Access-Control-Allow-Origin") == "https://app.example"
