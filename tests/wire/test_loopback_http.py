"""The loopback endpoint speaks HTTP/1.1 as real clients use it: chunked bodies, 100-continue, keep-alive."""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

import pytest

from minilambda import Cloud


@pytest.fixture
def cloud():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=9) as c:
        c.client("s3").create_bucket(Bucket="bkt")
        yield c


def _address(cloud) -> tuple[str, int]:
    url = urlsplit(cloud.endpoint_url)
    return url.hostname, url.port


def test_a_chunked_body_arrives_whole(cloud):
    conn = http.client.HTTPConnection(*_address(cloud), timeout=10)
    conn.request("PUT", "/bkt/chunked", body=iter([b"hel", b"lo ", b"world"]), encode_chunked=True,
                 headers={"Transfer-Encoding": "chunked"})
    assert conn.getresponse().status == 200
    assert cloud.client("s3").get_object(Bucket="bkt", Key="chunked")["Body"].read() == b"hello world"


def test_expect_100_continue_is_answered_before_the_body(cloud):
    with socket.create_connection(_address(cloud), timeout=10) as sock:
        sock.sendall(b"PUT /bkt/expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = sock.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"hello")
        final = b""
        while b"\r\n\r\n" not in final:
            final += sock.recv(1024)
        assert final.startswith(b"HTTP/1.1 200")
    assert cloud.client("s3").get_object(Bucket="bkt", Key="expect")["Body"].read() == b"hello"


def test_keep_alive_serves_several_requests_on_one_connection(cloud):
    conn = http.client.HTTPConnection(*_address(cloud), timeout=10)
    conn.request("PUT", "/bkt/a", body=b"1")
    conn.getresponse().read()
    first = conn.sock
    conn.request("GET", "/bkt/a")
    response = conn.getresponse()
    assert response.read() == b"1" and conn.sock is first and first is not None
    assert response.getheader("Connection", "keep-alive").lower() != "close"


def test_a_malformed_content_length_is_400_not_a_hang(cloud):
    with socket.create_connection(_address(cloud), timeout=10) as sock:
        sock.sendall(b"PUT /bkt/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 400")
