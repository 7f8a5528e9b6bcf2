"""Compare simulator responses with AWS responses recorded by LocalStack's test suite.

The recordings (``shared/reference/aws-recorded``) replace volatile values by placeholders:
``<uuid:1>`` (the same number means the same value), ``<code-size>``, bare tokens such as
``"date"``. ``assert_matches`` checks every other value exactly, and that equal placeholders
stand for equal values in our response too.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

_CANDIDATES = [
    Path(__file__).resolve().parents[1] / "tests" / "data" / "aws-recorded",
    Path(__file__).resolve().parents[2] / "shared" / "reference" / "aws-recorded",
    Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "aws-recorded",
]
BARE_TOKENS = {"date", "datetime", "timestamp", "sent-timestamp", "sender-id", "code-sha256", "log-result",
               "<code-size>", "<location>", "<date>", "<duration>", "<memory>", "<request-time>"}
_PLACEHOLDER = re.compile(r"<[a-zA-Z0-9_\-:().]+>")


def recorded_dir() -> Path:
    for c in _CANDIDATES:
        if c.is_dir():
            return c
    raise FileNotFoundError("aws-recorded fixtures not found (tests/data/aws-recorded or ../shared/reference)")


def load_case(name: str, file: str = "lambda.json") -> dict[str, Any]:
    cases = json.loads((recorded_dir() / file).read_text())
    for case in cases:
        if case["name"] == name:
            return case["response"]
    raise KeyError(name)


def normalise(value: Any, account: str = "123456789012", region: str = "us-east-1") -> Any:
    """Put our account and region in the recording's form."""
    if isinstance(value, dict):
        return {k: normalise(v, account, region) for k, v in value.items() if k != "ResponseMetadata"} | (
            {"ResponseMetadata": {"HTTPStatusCode": value["ResponseMetadata"]["HTTPStatusCode"]}}
            if isinstance(value.get("ResponseMetadata"), dict) else {})
    if isinstance(value, list):
        return [normalise(v, account, region) for v in value]
    if isinstance(value, str):
        return value.replace(account, "111111111111").replace(f":{region}:", ":<region>:").replace(
            "arn:aws:", "arn:<partition>:")
    return value


class Matcher:
    def __init__(self) -> None:
        self.bound: dict[str, Any] = {}

    def bind(self, placeholder: str, value: Any, path: str) -> None:
        if re.search(r":\d+>$", placeholder):
            if placeholder in self.bound and self.bound[placeholder] != value:
                raise AssertionError(f"{path}: {placeholder} was {self.bound[placeholder]!r} before, now {value!r}")
            self.bound[placeholder] = value

    def match(self, ours: Any, rec: Any, path: str = "$") -> None:
        if isinstance(rec, str) and (rec in BARE_TOKENS or _PLACEHOLDER.fullmatch(rec)):
            if ours is None:
                raise AssertionError(f"{path}: expected a value for {rec}, got None")
            self.bind(rec, ours, path)
            return
        if isinstance(rec, dict):
            if rec.get("ResponseMetadata") is not None and isinstance(ours, dict):
                assert ours.get("ResponseMetadata", {}).get("HTTPStatusCode") == rec["ResponseMetadata"]["HTTPStatusCode"], (
                    f"{path}: HTTP status {ours.get('ResponseMetadata', {}).get('HTTPStatusCode')} != "
                    f"{rec['ResponseMetadata']['HTTPStatusCode']}")
            if isinstance(ours, str) and ours.startswith("{"):
                ours = json.loads(ours)
            assert isinstance(ours, dict), f"{path}: expected an object, got {ours!r}"
            rk = {k for k in rec if k != "ResponseMetadata"}
            ok = {k for k in ours if k != "ResponseMetadata"}
            assert rk == ok, f"{path}: keys differ: missing {sorted(rk - ok)}, extra {sorted(ok - rk)}"
            for k in sorted(rk):
                self.match(ours[k], rec[k], f"{path}.{k}")
            return
        if isinstance(rec, list):
            assert isinstance(ours, list) and len(ours) == len(rec), f"{path}: {ours!r} != {rec!r}"
            for i, (o, r) in enumerate(zip(ours, rec)):
                self.match(o, r, f"{path}[{i}]")
            return
        if isinstance(rec, str) and _PLACEHOLDER.search(rec):
            parts = _PLACEHOLDER.split(rec)
            names = _PLACEHOLDER.findall(rec)
            rx = "".join(re.escape(p) + ("(.+?)" if i < len(names) else "") for i, p in enumerate(parts))
            m = re.fullmatch(rx, ours if isinstance(ours, str) else "", re.S)
            assert m, f"{path}: {ours!r} does not match {rec!r}"
            for name, val in zip(names, m.groups()):
                if name not in ("<partition>", "<region>"):
                    self.bind(name, val, path)
            return
        assert ours == rec, f"{path}: {ours!r} != {rec!r}"


def assert_matches(ours: Any, recorded: Any, matcher: Matcher | None = None) -> Matcher:
    """Fail with the first difference between our (normalised) response and AWS's recording."""
    m = matcher or Matcher()
    m.match(normalise(ours), recorded)
    return m


_ = os
