"""Deliveries between services: a message to a target ARN (function, queue, topic or bus).

Each backend registers how it accepts a message for its service; a target that is missing or of a
service nobody registered is recorded as a ``dropped`` ``AsyncRecord`` with its reason.
"""

from __future__ import annotations

from typing import Any, Callable

from .clock import Clock
from .errors import AwsError
from .records import AsyncRecord, RecordLog

Accept = Callable[[str, str, "dict[str, Any] | None", str], None]
"""``accept(target_arn, body, attributes, source)``: raises ``AwsError`` when the target is missing."""


class Deliveries:
    """Routes messages to the backend of the target ARN's service; records every drop."""

    def __init__(self, clock: Clock, records: RecordLog) -> None:
        self.clock = clock
        self.records = records
        self._accept: dict[str, Accept] = {}

    def register(self, service: str, accept: Accept) -> None:
        """Let messages to ``arn:aws:<service>:…`` reach *accept*."""
        self._accept[service] = accept

    def send(self, target: str, body: str, *, attributes: dict[str, Any] | None = None,
             source: str = "service") -> str | None:
        """Deliver *body* to *target*; returns None, or why it was not delivered."""
        service = target.split(":")[2] if target.count(":") >= 5 else ""
        accept = self._accept.get(service)
        if accept is None:
            return f"unsupported destination {target}"
        try:
            accept(target, body, attributes, source)
        except AwsError as err:
            return f"{err.code}: {err.message}"
        return None

    def drop(self, service: str, target: str, reason: str) -> None:
        """Record a notification a service could not deliver."""
        self.records.events.append(AsyncRecord(self.clock.now(), "", "", "dropped", detail=f"{service}: {reason}",
                                               target=target))
