"""Helpers shared by the services: ids, XML writing, notifier type."""

from __future__ import annotations

import random
import threading
import uuid
from typing import Any, Callable, Mapping
from xml.sax.saxutils import escape

Notify = Callable[[str, dict], Any]
"""``notify(target_arn, event)``: deliver *event* to the target (the Lambda side wires it to an
async invoke)."""


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def xml_value(tag: str, value: Any) -> str:
    """``<tag>value</tag>``; dicts nest, lists repeat ``<member>``, None is left out."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        inner = "".join(xml_value(k, v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, (list, tuple)):
        inner = "".join(xml_value("member", v) for v in value)
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(str(value))}</{tag}>"


def xml_tag(tag: str, inner: str) -> str:
    return f"<{tag}>{inner}</{tag}>"


def text_headers(request: Any) -> Any:
    """Decode bytes header values in place (botocore's prepared requests carry some as bytes,
    e.g. ``X-Amz-Target``), so services can compare them with ``str``."""
    for k, v in list(request.headers.items()):
        if isinstance(v, (bytes, bytearray)):
            request.headers[k] = bytes(v).decode("utf-8", "replace")
    return request


class AccountService:
    """What every service of one account shares: its clock, region and account, a seeded
    generator for ids, a lock, and how it reaches Lambda (*notify*) and the other services."""

    def _wire(self, clock: Any, region: str, account_id: str, rng: random.Random | None, *,
              notify: Notify | None = None, sqs: Any = None, sns: Any = None) -> None:
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.rng = rng or random.Random()
        self.notify = notify
        self.sqs = sqs
        self.sns = sns
        self._lock = threading.RLock()
