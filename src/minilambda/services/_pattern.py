"""Content filtering shared by EventBridge event patterns and SNS filter policies.

Supported: nested keys, lists of allowed values (exact match; numbers compare numerically;
``null``), ``{"prefix": ...}``, ``{"suffix": ...}``, ``{"equals-ignore-case": ...}``,
``{"anything-but": value | [values] | {"prefix": ...}}``, ``{"exists": true|false}``,
``{"numeric": [">", 0, "<=", 5]}``, and ``{"$or": [pattern, ...]}``. An event value that is a
list matches if any element matches.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

_MISSING = object()
_OPS = {"=": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def validate(pattern: Any) -> dict[str, Any]:
    """Parse (if a string) and check a pattern; ``ValueError`` with a reason if invalid."""
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError as exc:
            raise ValueError(f"Event pattern is not valid. Reason: {exc}") from None
    if not isinstance(pattern, dict):
        raise ValueError("Event pattern is not valid. Reason: Filter is not an object")
    _check(pattern)
    return pattern


def _check(p: Mapping[str, Any]) -> None:
    for k, v in p.items():
        if k == "$or":
            if not isinstance(v, list) or not v:
                raise ValueError("Event pattern is not valid. Reason: $or must be a non-empty list")
            for sub in v:
                _check(sub)
        elif isinstance(v, dict):
            _check(v)
        elif not isinstance(v, list):
            raise ValueError(f'Event pattern is not valid. Reason: "{k}" must be an object or an array')


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _leaf(rule: Any, value: Any) -> bool:
    """Does one allowed-value *rule* accept the event *value* (_MISSING if absent)?"""
    if isinstance(rule, dict):
        if "exists" in rule:
            return (value is not _MISSING) == bool(rule["exists"])
        if value is _MISSING:
            return False
        if "prefix" in rule:
            return isinstance(value, str) and value.startswith(str(rule["prefix"]))
        if "suffix" in rule:
            return isinstance(value, str) and value.endswith(str(rule["suffix"]))
        if "equals-ignore-case" in rule:
            return isinstance(value, str) and value.lower() == str(rule["equals-ignore-case"]).lower()
        if "anything-but" in rule:
            ab = rule["anything-but"]
            if isinstance(ab, dict):
                return not _leaf(ab, value)
            values = ab if isinstance(ab, list) else [ab]
            return not any(_leaf(x, value) for x in values)
        if "numeric" in rule:
            n = _num(value)
            if n is None or isinstance(value, str):
                return False
            spec = rule["numeric"]
            return all(_OPS[spec[i]](n, float(spec[i + 1])) for i in range(0, len(spec), 2))
        return False
    if value is _MISSING:
        return False
    if rule is None:
        return value is None
    if isinstance(rule, (int, float)) and not isinstance(rule, bool):
        n = _num(value)
        return n is not None and not isinstance(value, str) and n == float(rule)
    return rule == value


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """True if *event* (a dict) matches *pattern*."""
    for key, rule in pattern.items():
        if key == "$or":
            if not any(matches(sub, event) for sub in rule):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(rule, dict):
            if not isinstance(value, Mapping):
                return False
            if not matches(rule, value):
                return False
            continue
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not value:
            values = [_MISSING]
        if not any(_leaf(r, v) for r in rule for v in values):
            return False
    return True
