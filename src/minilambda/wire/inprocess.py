"""In-process transport: a real botocore client whose ``before-send`` event hands each prepared
request to a dispatch function (no socket), so validation, parsing, ``client.exceptions``,
paginators and waiters stay botocore's own."""

from __future__ import annotations

import io
import uuid
from typing import Any, Callable

from .messages import Request, Response


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


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if hasattr(body, "read"):
        return body.read()
    return body.encode() if isinstance(body, str) else body


def attach_in_process(client: Any, dispatch: Callable[[Request], Response]) -> None:
    """Answer every request *client* sends with ``dispatch(request)``, in-process.

    The request carries its operation name, taken from botocore's event name.
    """
    from botocore.awsrequest import AWSResponse

    def before_send(request: Any, event_name: str = "", **_: Any) -> AWSResponse:
        req = Request.from_url(request.method, request.url, request.headers.items(), _body_bytes(request.body))
        req.operation = event_name.rsplit(".", 1)[-1] or None
        resp = dispatch(req)
        headers = {k: str(v) for k, v in resp.headers.items()}
        headers.setdefault("x-amzn-RequestId", headers.get("x-amzn-RequestId", "") or str(uuid.uuid4()))
        if not (req.method == "HEAD" and any(k.lower() == "content-length" for k in headers)):
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            headers["Content-Length"] = str(len(resp.body))
        return AWSResponse(request.url, resp.status, headers, _Raw(resp.body))

    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service_id}", before_send)
