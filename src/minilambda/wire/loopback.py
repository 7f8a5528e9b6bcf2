"""Loopback HTTP transport: a threaded server on 127.0.0.1 (port 0 by default) that hands each
request to ``dispatch(service, request)``; handlers' boto3 calls, the AWS CLI and ``serve`` use it.
The service is read from the SigV4 credential scope (or the ``X-Amz-Target`` prefix); a ``check``
(``credentials.SignatureCheck.check``) may refuse a request before dispatch (its SigV4 signature)."""

from __future__ import annotations

import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from .messages import Request, Response

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_QUERY_SCOPE = re.compile(r"[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_TARGET_PREFIXES = (("Logs_", "logs"), ("AmazonSQS", "sqs"), ("AWSEvents", "events"),
                    ("DynamoDBStreams_", "dynamodbstreams"), ("DynamoDB_", "dynamodb"),
                    ("AWSCognitoIdentityProviderService", "cognito-idp"))  # SignUp, InitiateAuth… are unsigned
# A user pool's issuer documents (unsigned GETs); no S3 bucket name has "_", so none is taken from S3.
_COGNITO_WELL_KNOWN = re.compile(r"/[\w-]+_[0-9a-zA-Z]+/\.well-known/(jwks\.json|openid-configuration)")


def _botocore_name(signing_name: str, request: Request) -> str:
    """The botocore service a signing name stands for, where several services share one."""
    if signing_name == "execute-api":  # handlers' @connections calls are signed for execute-api
        return "apigatewaymanagementapi"
    if signing_name == "apigateway" and request.path.startswith("/v2/"):
        return "apigatewayv2"
    if signing_name == "dynamodb" and request.headers.get("x-amz-target", "").startswith("DynamoDBStreams_"):
        return "dynamodbstreams"
    return signing_name


def service_of(request: Request, default: str | None = None) -> str | None:
    """Which AWS service a request is for: the SigV4 credential scope (header, or a presigned URL's
    query), else the ``X-Amz-Target`` prefix; names shared by several services are told apart."""
    m = _SCOPE.search(request.headers.get("authorization", "")) or \
        _QUERY_SCOPE.match(request.q("X-Amz-Credential") or "")
    if m:
        return _botocore_name(m.group(1), request)
    target = request.headers.get("x-amz-target", "")
    for prefix, service in _TARGET_PREFIXES:
        if target.startswith(prefix):
            return service
    if request.method in ("GET", "HEAD") and _COGNITO_WELL_KNOWN.fullmatch(request.path):
        return "cognito-idp"
    return default


_MAX_CHUNK_LINE = 1024


def _read_body(rfile: Any, headers: Any) -> bytes | None:
    """The request body: ``Content-Length`` bytes, or a ``Transfer-Encoding: chunked`` body decoded
    (curl, Java and JavaScript SDKs stream that way); None when either is malformed."""
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        out = bytearray()
        while True:
            line = rfile.readline(_MAX_CHUNK_LINE)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while rfile.readline(_MAX_CHUNK_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(out)
            out += rfile.read(size)
            rfile.readline(_MAX_CHUNK_LINE)
    text = headers.get("Content-Length") or "0"
    if not text.strip().isdigit():
        return None
    length = int(text)
    return rfile.read(length) if length else b""


Check = Callable[[str | None, Request, str], "Response | None"]


def _handler_class(dispatch: Callable[[str | None, Request], Response],
                   check: Check | None) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            body = _read_body(self.rfile, self.headers)
            if body is None:
                self.close_connection = True
                self.send_error(400, "Bad Request", "malformed Content-Length or chunked body")
                return
            req = Request.from_url(self.command, self.path, self.headers.items(), body)
            req.context["caller"] = "handler"
            try:  # unsigned requests (browsers, public objects) are anonymous S3 requests
                service = service_of(req, "s3")
                url = f"http://{req.headers.get('host', '127.0.0.1')}{self.path}"
                refusal = check(service, req, url) if check is not None else None
                resp = refusal if refusal is not None else dispatch(service, req)
            except Exception as exc:  # pragma: no cover - a bug must not hang the handler
                resp = Response.json({"message": f"internal error: {exc!r}"}, 500,
                                     {"x-amzn-ErrorType": "ServiceException"})
            self._answer(resp)

        def _answer(self, resp: Response) -> None:
            self.send_response(resp.status)
            head_length = self.command == "HEAD" and any(k.lower() == "content-length" for k in resp.headers)
            for k, v in resp.headers.items():
                if k.lower() != "content-length" or head_length:
                    self.send_header(k, str(v))
            if not head_length:
                self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(resp.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return _Handler


class LoopbackEndpoint:
    """A threaded HTTP server on *host*:*port* that hands each request to ``dispatch(service, req)``
    unless ``check(service, req, url)`` answers first (a refused signature)."""

    def __init__(self, dispatch: Callable[[str | None, Request], Response], host: str = "127.0.0.1",
                 port: int = 0, check: Check | None = None) -> None:
        self.server = ThreadingHTTPServer((host, port), _handler_class(dispatch, check))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="minilambda-loopback", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
