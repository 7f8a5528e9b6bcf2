"""What every payload builder shares: default account and region, seeded ids, arguments as pairs."""

from __future__ import annotations

import base64
import json
import random
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl


DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"



def _rng(rng: random.Random | None) -> random.Random:
    return rng if rng is not None else random.Random()


def _hex(rng: random.Random | None, n: int, upper: bool = True) -> str:
    s = "".join(_rng(rng).choice("0123456789abcdef") for _ in range(n))
    return s.upper() if upper else s


def _arn_parts(arn: str) -> tuple[str, str]:
    """(region, account) of an ARN."""
    parts = arn.split(":")
    return (parts[3] if len(parts) > 3 else DEFAULT_REGION,
            parts[4] if len(parts) > 4 else DEFAULT_ACCOUNT)


def _pairs(items: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> list[tuple[str, str]]:
    """Header/query input as (name, value) pairs; list values expand to repeated names."""
    if items is None:
        return []
    seq = items.items() if isinstance(items, Mapping) else items
    out: list[tuple[str, str]] = []
    for k, v in seq:
        if isinstance(v, (list, tuple)):
            out.extend((k, str(x)) for x in v)
        else:
            out.append((k, str(v)))
    return out


def _query_pairs(query: str | Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> list[tuple[str, str]]:
    if query is None:
        return []
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?").split("#", 1)[0], keep_blank_values=True)
    return _pairs(query)


def _body(body: Any) -> tuple[str | None, bool]:
    """(body string, isBase64Encoded) as API Gateway passes it."""
    if body is None:
        return None, False
    if isinstance(body, (bytes, bytearray)):
        try:
            return bytes(body).decode("utf-8"), False
        except UnicodeDecodeError:
            return base64.b64encode(bytes(body)).decode(), True
    if isinstance(body, str):
        return body, False
    return json.dumps(body), False
