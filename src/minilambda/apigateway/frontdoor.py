"""The loopback front door of one API: ``http://127.0.0.1:PORT`` stands for
``https://{api-id}.execute-api.{region}.amazonaws.com``; the path below it is AWS's path.

A ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive, ``TCP_NODELAY``) hands every request to
``ApiGateway.handle``; it decides nothing. Malformed requests get the standard library's 400,
oversized headers (over 10 KB, AWS's limit per header) a 431, and a client that vanishes only
ends its own connection.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .records import HttpRequest

if TYPE_CHECKING:
    from .exchange import DataPlane as ApiGateway  # not dataplane.py: it imports this module

MAX_HEADER_BYTES = 10_240
MAX_BODY = 10 * 1024 * 1024 + 1  # read at most this much: more is refused as 413 by the data plane


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def _read_chunked(rfile: Any, limit: int) -> bytes:
    """A chunked request body (``Transfer-Encoding: chunked``), up to *limit* bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        line = rfile.readline(65_537)
        length = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if length == 0:
            while rfile.readline(65_537) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        chunk = rfile.read(length)
        rfile.readline(3)
        size += len(chunk)
        if size <= limit:
            parts.append(chunk)


class FrontDoor:
    """One API's HTTP server on 127.0.0.1 with an OS-chosen port."""

    def __init__(self, gateway: "ApiGateway", api_id: str) -> None:
        self.gateway = gateway
        self.api_id = api_id
        door = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            default_request_version = "HTTP/1.1"  # answer even a garbled request line with a status line
            server_version = "minilambda-apigateway"
            sys_version = ""
            error_message_format = '{"message":"%(message)s"}'
            error_content_type = "application/json"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except (ConnectionError, TimeoutError):
                    self.close_connection = True

            def _serve(self) -> None:
                door.serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"apigw-{api_id}", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Read one request, let the data plane answer it, write the answer."""
        items = [(k, v) for k, v in handler.headers.items()]
        if any(len(k) + len(v) > MAX_HEADER_BYTES for k, v in items):
            self._write(handler, 431, (("Content-Type", "application/json"),),
                        b'{"message":"Request Header Fields Too Large"}')
            handler.close_connection = True
            return
        if (handler.headers.get("Expect") or "").lower() == "100-continue":
            handler.send_response_only(100)
            handler.end_headers()
        if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
            body = _read_chunked(handler.rfile, MAX_BODY)
        else:
            length = int(handler.headers.get("Content-Length") or 0)
            body = handler.rfile.read(length) if length else b""
        request = HttpRequest(handler.command, handler.path, tuple(items), body,
                              source_ip=handler.client_address[0], protocol=handler.request_version)
        try:
            response = self.gateway.handle(self.api_id, request)
        except Exception as exc:  # a bug must not leave the client hanging: AWS's 500, and say why
            self._write(handler, 500, (("Content-Type", "application/json"),),
                        b'{"message": "Internal server error"}')
            self.gateway.cloud.logs.write("minilambda/apigateway-errors", self.api_id, [repr(exc)])
            return
        self._write(handler, response.status, response.headers,
                    b"" if handler.command == "HEAD" else response.body, len(response.body))

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, status: int, headers: tuple[tuple[str, str], ...], body: bytes,
               length: int | None = None) -> None:
        try:
            handler.send_response_only(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body) if length is None else length))
            handler.send_header("Connection", "keep-alive" if not handler.close_connection else "close")
            handler.end_headers()
            handler.wfile.write(body)
        except (ConnectionError, TimeoutError):
            handler.close_connection = True

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FrontDoors:
    """One owner's front doors (API Gateway's APIs, Lambda's function URLs): one per id, started on
    first use, closed when the id is forgotten or the owner closes."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner
        self._lock = threading.Lock()
        self._doors: dict[str, FrontDoor] = {}
        self._closed = False

    def url(self, key: str) -> str:
        """``http://127.0.0.1:PORT`` of *key*'s door, started now if it is not yet."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this Cloud is closed")
            door = self._doors.get(key)
            if door is None:
                door = self._doors[key] = FrontDoor(self._owner, key)
            return door.url

    def key_of_port(self, port: int | None) -> str | None:
        """The id whose door listens on *port* (None: none does)."""
        with self._lock:
            return next((key for key, door in self._doors.items() if door.server.server_address[1] == port), None)

    def forget(self, key: str) -> None:
        """Close *key*'s door (its API or URL was deleted)."""
        with self._lock:
            door = self._doors.pop(key, None)
        if door is not None:
            door.close()

    def close(self) -> None:
        """Close every door; no new one opens afterwards."""
        with self._lock:
            self._closed = True
            doors = list(self._doors.values())
            self._doors.clear()
        for door in doors:
            door.close()
