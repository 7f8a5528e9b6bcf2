"""The Telemetry API (``PUT /2022-07-01/telemetry``, aws-facts-2 §4): subscriptions and delivery.

An extension subscribes to ``platform``, ``function`` and/or ``extension`` records with an HTTP
destination inside the environment (``http://sandbox.localdomain:<port>/…``, here 127.0.0.1).
The platform batches records (``{"time", "type", "record"}``) and POSTs each batch as a JSON
array. Batches are delivered at the end of each phase (INIT, each invoke) rather than on
``timeoutMs``: the environment has no thread of its own, and a phase's records are complete then.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass

TELEMETRY_API = "/2022-07-01/telemetry"
TYPES = ("platform", "function", "extension")
DELIVERY_TIMEOUT_S = 1.0


@dataclass(frozen=True, slots=True)
class Subscription:
    """Where one extension wants which records, and how they are batched."""

    extension: str
    types: tuple[str, ...]
    host: str
    port: int
    path: str
    max_items: int
    max_bytes: int
    timeout_ms: int


def parse_subscription(extension: str, body: bytes) -> Subscription | str:
    """A Subscription, or the ValidationError message AWS answers with."""
    try:
        doc = json.loads(body)
        dest = doc["destination"]
        types = tuple(doc.get("types") or ())
    except (ValueError, KeyError, TypeError):
        return "Invalid request format"
    problems = []
    if dest.get("protocol") != "HTTP":
        problems.append("only the HTTP protocol is supported here")
    url = urllib.parse.urlsplit(str(dest.get("URI", "")))
    if url.port is None:
        problems.append("URI port is not provided")
    if not types or any(t not in TYPES for t in types):
        problems.append("types should not be empty" if not types else "types must be platform, function or extension")
    buffering = doc.get("buffering") or {}
    max_items = int(buffering.get("maxItems", 10000))
    max_bytes = int(buffering.get("maxBytes", 262144))
    timeout_ms = int(buffering.get("timeoutMs", 1000))
    if not (1000 <= max_items <= 10000 and 262144 <= max_bytes <= 1048576 and 25 <= timeout_ms <= 30000):
        problems.append("buffering values out of range")
    if problems:
        return "; ".join(problems)
    return Subscription(extension, types, "127.0.0.1", int(url.port), url.path or "/", max_items, max_bytes,
                        timeout_ms)


def subscribed_line(sub: Subscription) -> str:
    """``TELEMETRY\\tName: <ext>\\tState: Subscribed\\tTypes: [Platform, Function]``."""
    return f"TELEMETRY\tName: {sub.extension}\tState: Subscribed\tTypes: [{', '.join(t.capitalize() for t in sub.types)}]"


def deliver(sub: Subscription, events: list[dict]) -> bool:
    """POST the events this subscription wants, in batches of at most maxItems; False if it failed."""
    wanted = [e for e in events if e["type"].split(".", 1)[0] in sub.types]
    ok = True
    for start in range(0, len(wanted), sub.max_items):
        body = json.dumps(wanted[start:start + sub.max_items]).encode()
        try:
            conn = http.client.HTTPConnection(sub.host, sub.port, timeout=DELIVERY_TIMEOUT_S)
            conn.request("POST", sub.path, body, {"Content-Type": "application/json"})
            conn.getresponse().read()
            conn.close()
        except OSError:
            ok = False
    return ok
