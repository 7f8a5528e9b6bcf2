"""How AWS requests reach the simulator: HTTP requests in, HTTP responses out.

Every service (Lambda, CloudWatch Logs, SQS, …) is a ``Service`` whose ``handle(Request)``
returns a ``Response`` in AWS's wire protocol. Two thin adapters feed it:

* ``attach_in_process``: a real botocore client whose ``before-send`` event hands each prepared
  request to the service in-process (no socket), so validation, parsing, ``client.exceptions``,
  paginators and waiters are botocore's own;
* ``Gateway``: a loopback HTTP server (127.0.0.1) serving every service of a Cloud to handlers'
  own boto3 calls (``AWS_ENDPOINT_URL``), telling services apart by the SigV4 credential scope.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import AwsError


class Headers(dict):
    """A case-insensitive header map (keys stored lower-case)."""

    def __init__(self, items: Iterable[tuple[str, str]] | dict | None = None) -> None:
        super().__init__()
        if items:
            for k, v in (items.items() if isinstance(items, dict) else items):
                self[k] = v

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass(slots=True)
class Request:
    """One HTTP request to a service, already split into parts."""

    method: str
    path: str  # percent-decoded path, without the query
    query: dict[str, list[str]]
    headers: Headers
    body: bytes = b""
    raw_path: str = ""  # the path as sent (still percent-encoded)
    context: dict[str, Any] = field(default_factory=dict)  # e.g. {"caller": "handler"}

    def q(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter *name*."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON ({} when empty)."""
        if not self.body:
            return {}
        return json.loads(self.body)

    @classmethod
    def from_url(cls, method: str, url: str, headers: Iterable[tuple[str, str]] | dict,
                 body: bytes | None) -> "Request":
        parts = urlsplit(url)
        items = headers.items() if isinstance(headers, dict) else headers
        decoded = [(k, v.decode("latin-1") if isinstance(v, bytes) else str(v)) for k, v in items]
        return cls(method=method.upper(), path=unquote(parts.path), raw_path=parts.path,
                   query=parse_qs(parts.query, keep_blank_values=True), headers=Headers(decoded),
                   body=body or b"")


@dataclass(slots=True)
class Response:
    """One HTTP response from a service."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> "Response":
        h = {"Content-Type": "application/json"}
        if headers:
            h.update(headers)
        return cls(status, h, b"" if data is None else json.dumps(data).encode())


Handler = Callable[..., Response]


class Service:
    """A service answering AWS wire requests. Subclasses register routes or override ``handle``.

    Routes are ``(METHOD, regex)`` pairs; named groups become keyword arguments of the handler,
    percent-decoded (so an ARN in a path arrives as ``arn:aws:lambda:…``).
    """

    name = "service"
    protocol = "rest-json"

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def handle(self, request: Request) -> Response:
        try:
            for method, rx, handler in self._routes:
                if method != request.method:
                    continue
                m = rx.match(request.raw_path or request.path)
                if m:
                    kwargs = {k: unquote(v) for k, v in m.groupdict().items()}
                    return handler(request, **kwargs)
            raise AwsError("UnknownOperationException", f"Unknown operation {request.method} {request.path}",
                           404, error_type=None)
        except AwsError as err:
            return self.error_response(err)

    def error_response(self, err: AwsError) -> Response:
        """AWS's JSON error answer (rest-json and json protocols)."""
        headers = {"x-amzn-ErrorType": err.code, "Content-Type": "application/json"}
        headers.update(err.headers)
        return Response(err.status, headers, json.dumps(err.body()).encode())


class JsonTargetService(Service):
    """A service speaking AWS's ``json`` protocol: ``POST /`` with ``X-Amz-Target: Prefix.Operation``.

    Subclasses define methods named after the operation (``GetLogEvents``) taking the parsed
    body dict and returning a result dict.
    """

    protocol = "json"
    content_type = "application/x-amz-json-1.1"

    def handle(self, request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        operation = target.rsplit(".", 1)[-1]
        try:
            method = getattr(self, operation, None)
            if method is None or operation.startswith("_"):
                raise AwsError("UnknownOperationException", f"Unknown operation {operation!r}", 400,
                               error_type=None)
            result = method(request.json() if request.body else {})
            return Response(200, {"Content-Type": self.content_type},
                            json.dumps(result if result is not None else {}).encode())
        except AwsError as err:
            return self.error_response(err)

    def error_response(self, err: AwsError) -> Response:
        body = {"__type": err.code, "message": err.message}
        body.update(err.extra)
        headers = {"x-amzn-ErrorType": err.code, "Content-Type": self.content_type}
        headers.update(err.headers)
        return Response(err.status, headers, json.dumps(body).encode())


# ---------------------------------------------------------------------------------------------
# In-process adapter for botocore clients.


class _Raw:
    """The smallest file-like object botocore's AWSResponse and StreamingBody accept."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def stream(self, **_: Any):
        yield self._buf.read()

    def read(self, amt: int | None = None) -> bytes:
        return self._buf.read() if amt is None else self._buf.read(amt)

    def close(self) -> None:
        pass


def attach_in_process(client: Any, dispatch: Callable[[Request], Response]) -> None:
    """Answer every request *client* sends with ``dispatch(request)``, in-process."""
    from botocore.awsrequest import AWSResponse

    def before_send(request: Any, **_: Any) -> AWSResponse:
        body = request.body
        if body is None:
            body = b""
        elif hasattr(body, "read"):
            body = body.read()
        elif isinstance(body, str):
            body = body.encode()
        req = Request.from_url(request.method, request.url, request.headers.items(), body)
        resp = dispatch(req)
        headers = {k: str(v) for k, v in resp.headers.items()}
        headers.setdefault("x-amzn-RequestId", headers.get("x-amzn-RequestId", "") or _request_id())
        if not (req.method == "HEAD" and any(k.lower() == "content-length" for k in headers)):
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            headers["Content-Length"] = str(len(resp.body))
        return AWSResponse(request.url, resp.status, headers, _Raw(resp.body))

    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service_id}", before_send)


def _request_id() -> str:
    import uuid

    return str(uuid.uuid4())


# ---------------------------------------------------------------------------------------------
# Loopback HTTP gateway for handlers' boto3 calls.

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_QUERY_SCOPE = re.compile(r"[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def service_of(request: Request, default: str | None = None) -> str | None:
    """Which AWS service a signed request is for (from the SigV4 credential scope)."""
    auth = request.headers.get("authorization", "")
    m = _SCOPE.search(auth)
    if m:
        return m.group(1)
    m = _QUERY_SCOPE.match((request.query.get("X-Amz-Credential") or [""])[0])  # a presigned URL
    if m:
        return m.group(1)
    target = request.headers.get("x-amz-target", "")
    if target.startswith("Logs_"):
        return "logs"
    if target.startswith("AmazonSQS"):
        return "sqs"
    if target.startswith("AWSEvents"):
        return "events"
    if target.startswith("AWSCognitoIdentityProviderService"):  # SignUp, InitiateAuth… are unsigned
        return "cognito-idp"
    return default


class Gateway:
    """A threaded HTTP server on 127.0.0.1 that hands each request to ``dispatch(service, req)``."""

    def __init__(self, dispatch: Callable[[str | None, Request], Response], host: str = "127.0.0.1",
                 port: int = 0) -> None:
        gateway = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request.from_url(self.command, self.path, self.headers.items(), body)
                req.context["caller"] = "handler"
                try:
                    # unsigned requests (browsers, public objects) are anonymous S3 requests
                    resp = dispatch(service_of(req, "s3"), req)
                except Exception as exc:  # pragma: no cover - a bug must not hang the handler
                    resp = Response.json({"message": f"internal error: {exc!r}"}, 500,
                                         {"x-amzn-ErrorType": "ServiceException"})
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

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="minilambda-gateway",
                                       daemon=True)
        self.thread.start()
        _ = gateway

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
