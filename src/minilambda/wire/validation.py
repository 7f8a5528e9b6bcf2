"""AWS's front-end validation of an operation's input, read from botocore's service model.

AWS checks every member against its shape's ``min``/``max`` (length or value) and ``pattern``
before the service sees the request, and answers ``ValidationException`` with
``N validation error(s) detected: Value '…' at 'memberName' failed to satisfy constraint: …``,
the errors joined by ``; ``. Each service answers in its own error code (``Rules``): DynamoDB
``ValidationException``, Cognito ``InvalidParameterException``, CloudFormation ``ValidationError``
(query protocol: the form is read along the model), API Gateway ``ValidationException`` with the
member paths under ``<operation>Input`` (``createRestApiInput.name``). Enums are checked only where
``Rules.enums`` says so (Lambda's and Logs' own enum messages differ). Patterns are Java regular
expressions (``\\p{L}`` and friends): the ``regex`` module reads them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import regex

from ..errors import AwsError
from .messages import Request

_MAX_ERRORS = 10  # AWS lists at most a handful; enough to say what to fix


@dataclass(frozen=True)
class Rules:
    """How one service's front end answers a constraint violation."""

    code: str = "ValidationException"  # the error code (``ValidationError`` for CloudFormation …)
    status: int = 400
    enums: bool = False  # also check enum members (``Member must satisfy enum value set: [..]``)
    input_prefix: bool = False  # paths as ``<operation>Input.member`` (API Gateway's REST control plane)
    type_code: str = "InvalidParameterValueException"  # a URI label or query value that is not its type


@functools.lru_cache(maxsize=512)
def _pattern(text: str) -> Any:
    """A compiled Java-style pattern, or None when it cannot be read (then it is not checked)."""
    try:
        return regex.compile(text)
    except regex.error:
        return None


def _field(name: str) -> str:
    return name[:1].lower() + name[1:]


def _key(name: str, member: Any) -> str:
    """Where a member sits in the parsed input: its JSON name in a body (``protocolType`` for
    apigatewayv2's ``ProtocolType``), its model name when it came from the URI, query or a header."""
    if member.serialization.get("location"):
        return name
    return member.serialization.get("name", name)


def _scalar_errors(shape: Any, value: Any, enums: bool = False) -> list[str]:
    """The constraints *value* breaks, in AWS's words (``Member must …``)."""
    meta = shape.metadata
    out: list[str] = []
    if enums and "enum" in meta and isinstance(value, str) and value not in meta["enum"]:
        out.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
    if shape.type_name in ("string", "list", "map", "blob") and isinstance(value, (str, list, dict, bytes)):
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and len(value) < meta["min"]:
            out.append(f"Member must have length greater than or equal to {meta['min']}")
    if shape.type_name == "string" and isinstance(value, str):
        if "\x00" in value:
            out.append("Member must not contain the NUL character")
        elif "pattern" in meta and "enum" not in meta:
            rx = _pattern(meta["pattern"])
            if rx is not None and rx.fullmatch(value) is None:
                out.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    if shape.type_name in ("integer", "long", "double", "float") and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        if "max" in meta and value > meta["max"]:
            out.append(f"Member must have value less than or equal to {_number(shape, meta['max'])}")
        if "min" in meta and value < meta["min"]:
            out.append(f"Member must have value greater than or equal to {_number(shape, meta['min'])}")
    return out


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "long": (int,), "boolean": (bool,), "double": (int, float),
    "float": (int, float), "structure": (dict,), "map": (dict,), "list": (list,), "blob": (str, bytes),
    "timestamp": (str, int, float),
}


def _type_ok(shape: Any, value: Any) -> bool:
    kinds = _TYPES.get(shape.type_name)
    if kinds is None or value is None:
        return True
    if isinstance(value, bool) and shape.type_name != "boolean":
        return False
    return isinstance(value, kinds)


def shape_errors(shape: Any, value: Any, path: str, errors: list[str], depth: int = 0, enums: bool = False) -> None:
    """Append AWS's message for every constraint *value* (at *path*) breaks; raise on a wrong type.
    *enums*: enum members are checked too."""
    if value is None or depth > 20 or len(errors) >= _MAX_ERRORS:
        return
    if not _type_ok(shape, value):
        raise AwsError("SerializationException",
                       f"Unexpected value type for '{path}': expected {shape.type_name}, "
                       f"got {type(value).__name__}", 400, error_type=None)
    sensitive = shape.metadata.get("sensitive", False)
    for problem in _scalar_errors(shape, value, enums):
        shown = "Value" if sensitive else f"Value '{_java(value, shape)}'"
        errors.append(f"{shown} at '{path}' failed to satisfy constraint: {problem}")
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            key = _key(name, member)
            if key in value:
                shape_errors(member, value[key], f"{path}.{_field(name)}" if path else _field(name), errors,
                             depth + 1, enums)
    elif shape.type_name in ("list", "map"):
        shown = "Value" if sensitive else f"Value '{_java(value, shape)}'"
        if shape.type_name == "list":
            _member_errors(shape.member, value, path, "Member must satisfy constraint", errors, depth, shown, enums)
        else:
            _member_errors(shape.key, list(value), path, "Map keys must satisfy constraint", errors, depth, shown,
                           enums)
            _member_errors(shape.value, list(value.values()), path, "Map value must satisfy constraint", errors,
                           depth, shown, enums)


def _member_errors(shape: Any, values: list[Any], path: str, lead: str, errors: list[str], depth: int,
                   shown: str, enums: bool = False) -> None:
    """Members of a list or map: AWS reports them once, as the collection's constraint, listing every
    constraint of the member shape (recorded: ``[Member must have value less than or equal to 1.0,
    Member must have value greater than or equal to 0.0, Member must not be null]``). Inside a list's
    n-th structure the path reads ``keySchema.1.member.keyType`` (1-based, as AWS writes it)."""
    broken = False
    for number, item in enumerate(values, start=1):
        if not _type_ok(shape, item):
            raise AwsError("SerializationException", f"Unexpected value type in '{path}': expected "
                           f"{shape.type_name}, got {type(item).__name__}", 400, error_type=None)
        broken = broken or bool(_scalar_errors(shape, item, enums))
        if shape.type_name in ("structure", "list", "map"):
            inner_path = f"{path}.{number}.member" if lead.startswith("Member") else path
            shape_errors(shape, item, inner_path, errors, depth + 1, enums)
    if broken:
        nul = any(isinstance(item, str) and "\x00" in item for item in values)
        inner = _constraints(shape, nul, enums) + ([] if lead.startswith("Map keys") else ["Member must not be null"])
        errors.append(f"{shown} at '{path}' failed to satisfy constraint: {lead}: [{', '.join(inner)}]")


def _constraints(shape: Any, nul: bool, enums: bool = False) -> list[str]:
    """Every constraint of a shape, in AWS's words and order."""
    meta = shape.metadata
    kind = "value" if shape.type_name in ("integer", "long", "double", "float") else "length"
    out = []
    if enums and "enum" in meta:
        out.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
    if "max" in meta:
        out.append(f"Member must have {kind} less than or equal to {_number(shape, meta['max'])}")
    if "min" in meta:
        out.append(f"Member must have {kind} greater than or equal to {_number(shape, meta['min'])}")
    if "pattern" in meta and shape.type_name == "string":
        out.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    if nul:
        out.append("Member must not contain the NUL character")
    return out


def _number(shape: Any, bound: Any) -> str:
    return str(float(bound)) if shape.type_name in ("double", "float") else str(bound)


def _java(value: Any, shape: Any) -> str:
    """A value as AWS's (Java) messages show it: lists ``[a, b]``, maps ``{k=v}``, doubles ``2.0``."""
    if isinstance(value, list) and shape.type_name == "list":
        return "[" + ", ".join(_java(v, shape.member) for v in value) + "]"
    if isinstance(value, dict) and shape.type_name == "map":
        return "{" + ", ".join(f"{_java(k, shape.key)}={_java(v, shape.value)}" for k, v in value.items()) + "}"
    if shape.type_name in ("double", "float") and isinstance(value, (int, float)):
        return str(float(value))
    return str(value)


def _scalar_from_text(shape: Any, text: str, path: str, code: str) -> Any:
    """A URI label, query parameter or header as the member's type (AWS's error when it is not one)."""
    if shape.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise AwsError(code, f"Value '{text}' at '{path}' is not a valid integer", 400) from None
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


@functools.lru_cache(maxsize=1024)
def _bindings(operation: Any) -> tuple[tuple[str, Any, str, str], ...]:
    """Where each input member travels outside the JSON body: ``(name, shape, location, wire name)``."""
    shape = operation.input_shape
    return tuple((name, member, member.serialization["location"], member.serialization.get("name", name))
                 for name, member in shape.members.items()
                 if member.serialization.get("location") in ("uri", "querystring", "header"))


def query_params(form: dict[str, str], shape: Any, prefix: str = "") -> Any:
    """Query-protocol form fields (``Parameters.member.1.ParameterKey=…``) → nested data along *shape*;
    a number that is not one raises ``ValueError``."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            key = f"{prefix}.{name}" if prefix else name
            if key in form or any(k.startswith(key + ".") for k in form):
                out[name] = query_params(form, member, key)
        return out
    if kind == "list":
        items, i = [], 1
        while any(k == f"{prefix}.member.{i}" or k.startswith(f"{prefix}.member.{i}.") for k in form):
            items.append(query_params(form, shape.member, f"{prefix}.member.{i}"))
            i += 1
        return items
    if kind == "map":
        out, i = {}, 1
        while f"{prefix}.entry.{i}.key" in form:
            out[form[f"{prefix}.entry.{i}.key"]] = query_params(form, shape.value, f"{prefix}.entry.{i}.value")
            i += 1
        return out
    value = form.get(prefix, "")
    if kind == "boolean":
        return value.lower() == "true"
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("double", "float"):
        return float(value)
    return value


def _query_input(operation: Any, request: Request, code: str) -> dict[str, Any]:
    try:
        return query_params(request.form(), operation.input_shape)
    except ValueError as exc:
        raise AwsError(code, f"Malformed input: a numeric parameter is not a number ({exc})", 400) from None


def _json_body(request: Request) -> Any:
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise AwsError("SerializationException", "Could not parse the request body as JSON", 400,
                       error_type=None) from None


def input_params(operation: Any, request: Request, code: str = Rules.type_code) -> dict[str, Any]:
    """The operation's input members as sent: URI labels, query string, headers and JSON body (or, for
    the query protocol, the form). *code*: the error code for a label that is not of its type."""
    shape = operation.input_shape
    if shape is None:
        return {}
    if operation.metadata.get("protocol") == "query":
        return _query_input(operation, request, code)
    payload = shape.serialization.get("payload")
    body = _json_body(request) if request.body and (not payload or
                                                    shape.members[payload].type_name == "structure") else {}
    params: dict[str, Any] = {}
    if payload:
        member = shape.members[payload]
        if request.body:
            raw = request.body if member.type_name == "blob" else request.body.decode("utf-8", "replace")
            params[_key(payload, member)] = body if member.type_name == "structure" else raw
    elif isinstance(body, dict):
        params.update(body)
    for name, member, where, wire_name in _bindings(operation):
        if member.type_name == "map":
            continue  # a querystring map takes every other parameter: not checked
        if where == "querystring" and member.type_name == "list":
            values = request.query.get(wire_name)
            if values is not None:
                params[name] = [_scalar_from_text(member.member, v, _field(name), code) for v in values]
            continue
        if member.type_name == "list":
            continue  # a list in a header (comma-joined): not checked
        if where == "uri":
            text = request.labels.get(wire_name)
        elif where == "querystring":
            values = request.query.get(wire_name)
            text = values[0] if values else None
        else:
            text = request.headers.get(wire_name)
        if text is not None:
            params[name] = _scalar_from_text(member, text, _field(name), code)
    return params


def _missing(member: Any, value: Any) -> bool:
    """A required member absent (an empty URI label is absent: the path has nothing there)."""
    where = member.serialization.get("location")
    return where in (None, "uri") and (value is None or (where == "uri" and value == ""))


def validate_request(operation: Any, request: Request, rules: Rules = Rules()) -> None:
    """Raise the service's validation error (*rules*) when *request* breaks its operation's model constraints."""
    shape = operation.input_shape
    if shape is None:
        return
    params = input_params(operation, request, rules.type_code)
    if not isinstance(params, dict):
        return
    root = f"{_field(operation.name)}Input" if rules.input_prefix else ""
    at = (lambda name: f"{root}.{_field(name)}") if root else _field
    errors = [f"Value null at '{at(name)}' failed to satisfy constraint: Member must not be null"
              for name in shape.required_members
              if _missing(shape.members[name], params.get(_key(name, shape.members[name])))]
    shape_errors(shape, params, root, errors, enums=rules.enums)
    if errors:
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected"
        raise AwsError(rules.code, f"{count}: {'; '.join(errors)}", rules.status, error_type=None)
