"""Mapping templates (Velocity) as API Gateway runs them, with airspeed and jsonpath-ng.

Interface (pure):

* ``render(template, TemplateInput(...)) -> str``: one request or response template.
  ``TemplateInput.body`` is the payload ``$input`` reads (the method request body for request
  templates, the integration response body for response templates); ``path``, ``querystring`` and
  ``header`` are always the *method request* parameters; ``context`` is the ``$context`` map the
  caller builds (``requestId``, ``stage``, ``httpMethod``, ``resourcePath``, ``identity{sourceIp,
  …}``, ``authorizer{…}``, and for gateway responses ``error{message, messageString,
  responseType}``); ``stage_variables`` is ``$stageVariables``. A broken template raises
  ``TemplateError`` (the caller answers 500 ``{"message": "Internal server error"}`` and logs
  ``Execution failed due to configuration error: …``).
* ``select_request_template(templates, content_type, passthrough_behavior) -> str | None``: the
  template for the request's ``Content-Type`` (default ``application/json``), or None to pass the body
  through unchanged; raises ``UnsupportedMediaType`` when AWS answers 415
  ``{"message":"Unsupported Media Type"}`` (gateway response ``UNSUPPORTED_MEDIA_TYPE``).
* ``gateway_response_body(template, context)``: a gateway response template (the default is
  ``{"message":$context.error.messageString}``, so a message renders with its quotes).

What templates see [AGDG api-gateway-mapping-template-reference.md]: ``$input.body``,
``$input.json(path)`` (JSON text of a JSONPath result), ``$input.path(path)`` (the object itself),
``$input.params()`` (``{"path", "querystring", "header"}``), ``$input.params(name)`` (path, then query
string, then header); ``$util.escapeJavaScript``, ``parseJson``, ``urlEncode``, ``urlDecode``,
``base64Encode``, ``base64Decode``; ``$context``; ``$stageVariables``. Values render as Java does
(``true``, ``{a=1, b=[x, y]}``) because API Gateway's Velocity is Java's.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import quote_plus, unquote_plus

import airspeed
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

DEFAULT_CONTENT_TYPE = "application/json"
DEFAULT_GATEWAY_TEMPLATE = '{"message":$context.error.messageString}'


class TemplateError(Exception):
    """A template that cannot be parsed or evaluated (AWS: a configuration error, 500)."""


class UnsupportedMediaType(Exception):
    """No template for this Content-Type and the passthrough behaviour forbids passing it through."""

    status_code = 415
    body = '{"message":"Unsupported Media Type"}'
    gateway_response = "UNSUPPORTED_MEDIA_TYPE"


class JavaBool:
    """A JSON boolean that renders as Java's ``true``/``false`` and still tests as a bool."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return self.value

    def __eq__(self, other: object) -> bool:
        return self.value == (other.value if isinstance(other, JavaBool) else other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return "true" if self.value else "false"


class JavaMap(dict):
    """A JSON object with ``java.util.Map``'s methods and rendering (``{a=1, b=x}``)."""

    def keySet(self) -> list:  # noqa: N802 - Java's name
        return list(self.keys())

    def entrySet(self) -> list:  # noqa: N802
        return [{"key": k, "value": v} for k, v in self.items()]

    def containsKey(self, key: Any) -> bool:  # noqa: N802
        return key in self

    def isEmpty(self) -> bool:  # noqa: N802
        return not self

    def size(self) -> int:
        return len(self)

    def put(self, key: Any, value: Any) -> Any:
        """``Map.put``: set and return the previous value."""
        previous = self.get(key)
        self[key] = value
        return previous

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}={_java_str(v)}" for k, v in self.items()) + "}"


class JavaList(list):
    """A JSON array with ``java.util.List``'s methods and rendering (``[a, b]``)."""

    def size(self) -> int:
        return len(self)

    def get(self, index: int) -> Any:
        return self[index]

    def isEmpty(self) -> bool:  # noqa: N802
        return not self

    def contains(self, value: Any) -> bool:
        return value in self

    def add(self, value: Any) -> bool:
        self.append(value)
        return True

    def __str__(self) -> str:
        return "[" + ", ".join(_java_str(v) for v in self) + "]"


def _java_str(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def javafy(value: Any) -> Any:
    """Parsed JSON → objects that behave and render as in Java's Velocity."""
    if isinstance(value, bool):
        return JavaBool(value)
    if isinstance(value, dict):
        return JavaMap((k, javafy(v)) for k, v in value.items())
    if isinstance(value, list):
        return JavaList(javafy(v) for v in value)
    return value


def plain(value: Any) -> Any:
    """The inverse of ``javafy``: plain JSON-serialisable Python."""
    if isinstance(value, JavaBool):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def escape_javascript(text: Any) -> str:
    """Apache Commons Lang ``StringEscapeUtils.escapeJavaScript`` (as ``$util.escapeJavaScript``)."""
    named = {'"': '\\"', "'": "\\'", "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f",
             "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch in named:
            out.append(named[ch])
        elif code < 32 or code > 0x7F:
            out.extend(f"\\u{unit:04X}" for unit in _utf16_units(ch))
        else:
            out.append(ch)
    return "".join(out)


def _utf16_units(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


class Util:
    """``$util``: the helpers AWS documents, with Java's semantics."""

    def escapeJavaScript(self, text: Any) -> str:  # noqa: N802
        return escape_javascript(text)

    def parseJson(self, text: Any) -> Any:  # noqa: N802
        return javafy(json.loads(str(text)))

    def urlEncode(self, text: Any) -> str:  # noqa: N802
        """``java.net.URLEncoder.encode(s, "UTF-8")``: space → ``+``, only ``.-*_`` kept."""
        return quote_plus(str(text), safe="*").replace("~", "%7E")

    def urlDecode(self, text: Any) -> str:  # noqa: N802
        return unquote_plus(str(text))

    def base64Encode(self, text: Any) -> str:  # noqa: N802
        return base64.b64encode(str(text).encode()).decode()

    def base64Decode(self, text: Any) -> str:  # noqa: N802
        return base64.b64decode(str(text)).decode()


@dataclass(frozen=True)
class TemplateInput:
    """Everything ``$input``, ``$context`` and ``$stageVariables`` can read."""

    body: str = ""
    path: Mapping[str, str] = field(default_factory=dict)
    querystring: Mapping[str, str] = field(default_factory=dict)
    header: Mapping[str, str] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    stage_variables: Mapping[str, str] = field(default_factory=dict)


class Input:
    """``$input``: the payload (as text, JSON and JSONPath) and the method request parameters."""

    def __init__(self, data: TemplateInput) -> None:
        self._data = data
        self.body = data.body
        self._parsed: Any = None
        self._parsed_ok = False

    def _document(self) -> Any:
        if not self._parsed_ok:
            try:
                self._parsed = json.loads(self.body) if self.body.strip() else {}
            except json.JSONDecodeError as exc:
                raise TemplateError(f"Unable to parse the payload as JSON: {exc}") from exc
            self._parsed_ok = True
        return self._parsed

    def path(self, expression: str) -> Any:
        """The value at a JSONPath (``$``, ``$.a.b``, ``$['a']``, ``$.items[0]``, ``$..name``)."""
        try:
            matches = [m.value for m in parse_jsonpath(str(expression)).find(self._document())]
        except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises several types
            if isinstance(exc, TemplateError):
                raise
            raise TemplateError(f"Invalid JSONPath expression {expression!r}: {exc}") from exc
        if not matches:
            return None
        wildcard = any(token in str(expression) for token in ("*", "..", "?(", ":"))
        return javafy(matches if wildcard or len(matches) > 1 else matches[0])

    def json(self, expression: str) -> str:
        """JSON text of the JSONPath result (``""`` when nothing matches; unverified)."""
        value = self.path(expression)
        return "" if value is None else json.dumps(plain(value), separators=(",", ":"), ensure_ascii=False)

    def params(self, name: str | None = None) -> Any:
        """All parameters by location, or one by name: path, then query string, then header."""
        data = self._data
        if name is None:
            return JavaMap(path=JavaMap(data.path), querystring=JavaMap(data.querystring),
                           header=JavaMap(data.header))
        for location in (data.path, data.querystring):
            if name in location:
                return location[name]
        lowered = str(name).lower()
        return next((v for k, v in data.header.items() if k.lower() == lowered), "")


def render(template: str, data: TemplateInput) -> str:
    """Evaluate one mapping template for one request or response."""
    namespace = {"input": Input(data), "util": Util(), "context": javafy(dict(data.context)),
                 "stageVariables": JavaMap(data.stage_variables)}
    try:
        return airspeed.Template(template).merge(namespace)
    except TemplateError:
        raise
    except airspeed.TemplateError as exc:
        raise TemplateError(str(exc)) from exc


def select_request_template(templates: Mapping[str, str] | None, content_type: str | None,
                            passthrough_behavior: str = "WHEN_NO_MATCH") -> str | None:
    """The template AWS applies to this Content-Type; None = pass the body through unchanged."""
    media_type = (content_type or DEFAULT_CONTENT_TYPE).split(";")[0].strip().lower()
    templates = {k.lower(): v for k, v in (templates or {}).items()}
    if media_type in templates:
        return templates[media_type]
    behavior = (passthrough_behavior or "WHEN_NO_MATCH").upper()
    if behavior == "WHEN_NO_MATCH" or (behavior == "WHEN_NO_TEMPLATES" and not templates):
        return None
    raise UnsupportedMediaType(f"no mapping template for {media_type} and passthroughBehavior {behavior}")


def gateway_response_body(template: str | None, context: Mapping[str, Any],
                          stage_variables: Mapping[str, str] | None = None) -> str:
    """Render a gateway response template; ``messageString`` is the message as a JSON string."""
    context = dict(context)
    error = dict(context.get("error") or {})
    if "message" in error and "messageString" not in error:
        error["messageString"] = json.dumps(error["message"])
    context["error"] = error
    return render(template or DEFAULT_GATEWAY_TEMPLATE,
                  TemplateInput(context=context, stage_variables=stage_variables or {}))
