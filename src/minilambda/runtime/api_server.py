"""The Runtime API's HTTP/1.1 side, without a server thread: a listener, connections, a parser.

The environment's calling thread waits on :attr:`RuntimeApiServer.selector` and hands readable
connections to :meth:`RuntimeApiServer.on_readable`, which calls back with each complete request.
Hand-written rather than ``http.server`` because one warm invoke must cost a few system calls
on the caller's thread (no thread hop, no per-request objects), and because it must refuse an
oversized ``/response`` body without reading it (``Expect: 100-continue``) as the real API does.
"""

from __future__ import annotations

import selectors
import socket
from typing import Callable

from .payloads import MAX_RESPONSE_BYTES

LISTEN = "listen"
TOO_LARGE_BODY = (b'{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).",'
                  b'"errorType":"RequestEntityTooLarge"}')
_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            413: "Request Entity Too Large", 500: "Internal Server Error"}


class Conn:
    """One connection from the runtime (or an extension): socket, read buffer, parser state."""

    __slots__ = ("sock", "buf", "head", "discard", "too_large")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.head: tuple[str, str, dict[str, str], int] | None = None
        self.discard = 0
        self.too_large = False


Handler = Callable[[Conn, str, str, dict[str, str], bytes], None]


class RuntimeApiServer:
    """A 127.0.0.1 listener on port 0 whose requests are parsed on the caller's thread."""

    def __init__(self, handler: Handler, on_too_large: Callable[[Conn], None]) -> None:
        self.handler = handler
        self.on_too_large = on_too_large
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port: int = self.listener.getsockname()[1]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, LISTEN)
        self.conns: dict[int, Conn] = {}

    def accept(self) -> None:
        """Accept one connection (TCP_NODELAY: no Nagle delay on loopback)."""
        sock, _ = self.listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Conn(sock)
        self.conns[sock.fileno()] = conn
        self.selector.register(sock, selectors.EVENT_READ, conn)

    def close_conn(self, conn: Conn) -> None:
        """Forget and close one connection."""
        fd = conn.sock.fileno()
        if fd >= 0:
            self.conns.pop(fd, None)
            try:
                self.selector.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
        conn.sock.close()

    def close_all(self) -> None:
        """Close every connection (the runtime is gone)."""
        for conn in list(self.conns.values()):
            self.close_conn(conn)

    def close(self) -> None:
        """Close the connections, the listener and the selector for good."""
        self.close_all()
        self.selector.close()
        self.listener.close()

    def reply(self, conn: Conn, status: int, body: bytes, close: bool = False,
              headers: dict[str, str] | None = None) -> None:
        """Send one JSON response."""
        extra = "Connection: close\r\n" if close else ""
        for key, value in (headers or {}).items():
            extra += f"{key}: {value}\r\n"
        try:
            conn.sock.sendall(f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\nContent-Type: application/json\r\n"
                              f"{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        except OSError:
            self.close_conn(conn)

    def on_readable(self, conn: Conn) -> None:
        """Read what arrived and dispatch every complete request."""
        try:
            data = conn.sock.recv(1 << 18)
        except OSError:
            data = b""
        if not data:
            self.close_conn(conn)
            return
        conn.buf += data
        while conn.sock.fileno() >= 0 and self._step(conn):
            pass

    def _step(self, conn: Conn) -> bool:
        """Advance the parser by one request; False when more bytes are needed."""
        buf = conn.buf
        if conn.discard:
            n = min(conn.discard, len(buf))
            del buf[:n]
            conn.discard -= n
            if conn.discard:
                return False
            if conn.too_large:
                conn.too_large = False
                self.reply(conn, 413, TOO_LARGE_BODY)
                self.on_too_large(conn)
        if conn.head is None and not self._read_head(conn):
            return False
        if conn.head is None:
            return True
        method, path, headers, length = conn.head
        if len(buf) < length:
            return False
        body = bytes(buf[:length])
        del buf[:length]
        conn.head = None
        self.handler(conn, method, path, headers, body)
        return True

    def _read_head(self, conn: Conn) -> bool:
        """Parse a request head; refuse an oversized /response body. False: need more bytes."""
        buf = conn.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > 1 << 20:
                self.close_conn(conn)
            return False
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        del buf[:end + 4]
        method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            length = 0
        expect = headers.get("expect", "").lower() == "100-continue"
        if method == "POST" and path.endswith("/response") and length > MAX_RESPONSE_BYTES:
            if expect:
                self.reply(conn, 413, TOO_LARGE_BODY, close=True)
                self.on_too_large(conn)
                self.close_conn(conn)
                return False
            conn.discard, conn.too_large = length, True
            return True
        if expect:
            conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        conn.head = (method, path, headers, length)
        return True
