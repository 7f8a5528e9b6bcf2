"""Lambda function URLs, the data plane: HTTP requests → payload format 2.0 events → invocations.

Each URL gets its own loopback front door (``http://127.0.0.1:PORT`` stands for
``https://<url-id>.lambda-url.<region>.on.aws``), served by API Gateway's ``FrontDoor`` server
code; ``request`` answers in-process through the same path. Per request: CORS preflight (the
URL's ``Cors``), then auth (``NONE``: the resource policy must allow ``*``; ``AWS_IAM``: SigV4
verified with botocore's signer, service ``lambda``), the 2.0 event (HTTP APIs' builder, with
``domainName``/``domainPrefix``/``apiId`` from the url-id and ``stage`` ``$default``), a
synchronous invoke (a record, START/END/REPORT, concurrency), the answer mapped as HTTP APIs'
format 2.0 (no ``statusCode`` → 200 JSON; ``cookies``; ``isBase64Encoded``).

``InvokeMode: RESPONSE_STREAM`` is served buffered. Sourced: 403 ``{"Message":"Forbidden"}``
without a public policy (the task brief; not recorded); 502 for a malformed response (awsdocs
aws-lambda-developer-guide issue 430). Unverified (chosen to match AWS as reported, not recorded):
502 ``{"Message":"Internal Server Error"}`` for function errors and timeouts, 429
``{"Message":"Rate Exceeded."}`` when throttled, 413 for a request over 6 MB, 403 for an unknown
url-id, the ``x-amzn-ErrorType`` values.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from typing import Any, Callable
from urllib.parse import urlsplit

from ..apigateway import cors
from ..apigateway.events import RouteContext, http_event
from ..apigateway.frontdoor import FrontDoors
from ..apigateway.records import HttpRequest, HttpResponse
from ..apigateway.responses import MalformedResponse, parse_v2
from ..apigateway.sigv4_auth import Credential, SignedRequest, verify_sigv4
from ..errors import AwsError
from .function_urls import FunctionUrlConfig

MAX_REQUEST = 6 * 1024 * 1024  # Lambda's synchronous payload limit applies to the request


def _answer(status: int, message: str, error_type: str | None = None) -> HttpResponse:
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, tuple(headers), json.dumps({"Message": message}, separators=(",", ":")).encode())


FORBIDDEN = _answer(403, "Forbidden", "AccessDeniedException")
INTERNAL = _answer(502, "Internal Server Error")
THROTTLED = _answer(429, "Rate Exceeded.", "TooManyRequestsException")


@dataclass(frozen=True)
class _Logs:
    """What ``FrontDoor`` needs of a host: somewhere to write a bug's traceback."""

    logs: Any


class FunctionUrlDataPlane:
    """Serves one account's function URLs (``LambdaBackend.function_urls``) on loopback."""

    def __init__(self, backend: Any, logs: Any, credentials: Callable[[str], Credential | None]) -> None:
        self.backend = backend
        self.urls = backend.function_urls
        self.credentials = credentials  # access key id -> Credential (the Cloud's keys)
        self.cloud = _Logs(logs)  # FrontDoor writes unexpected errors to cloud.logs
        self._doors = FrontDoors(self)  # one loopback server per URL, started on first use
        self.urls.on_delete.append(self.forget)

    # -- addresses ----------------------------------------------------------------------------

    def base_url(self, url_id: str) -> str:
        """``http://127.0.0.1:PORT/`` of a URL's loopback front door (started on first use)."""
        if self.urls.by_url_id(url_id) is None:
            raise KeyError(f"no function URL has the id {url_id!r}; create one with create_function_url_config")
        return self._doors.url(url_id) + "/"

    def endpoint(self, function_url: str) -> str:
        """The loopback address standing for a ``FunctionUrl`` (``https://<url-id>.lambda-url.…/``)."""
        return self.base_url(_url_id_of(function_url))

    def request(self, method: str, url: str, headers: dict[str, str] | None = None,
                body: bytes | str | None = None) -> HttpResponse:
        """Answer one request in-process; *url* is the ``FunctionUrl`` (AWS's form) plus a path."""
        request = HttpRequest.from_url(method, url, headers, body)
        request = replace(request, scheme=urlsplit(url).scheme or "https")
        return self.handle(_url_id_of(url), request)

    # -- one request --------------------------------------------------------------------------

    def handle(self, url_id: str, request: HttpRequest) -> HttpResponse:
        """Answer one HTTP request to the URL *url_id* as Lambda's function URL front end does."""
        config = self.urls.by_url_id(url_id)
        if config is None:
            return FORBIDDEN
        preflight = _preflight(config, request)
        if preflight is not None:
            return preflight
        request = _as_received(config, request)
        authorizer = self._authorize(config, request)
        if isinstance(authorizer, HttpResponse):
            return _with_cors(config, request, authorizer)
        return _with_cors(config, request, self._invoke(config, request, authorizer))

    def _authorize(self, config: FunctionUrlConfig, request: HttpRequest) -> HttpResponse | dict[str, Any] | None:
        """None (public) or ``{"iam": …}``; a 403 answer when the request may not invoke."""
        if config.auth_type == "NONE":
            allowed = self.backend.permissions.allows_url(config.function_name, config.qualifier, "NONE")
            return None if allowed else FORBIDDEN
        url = f"https://{config.domain}{request.target}"
        result = verify_sigv4(SignedRequest(request.method, url, request.headers, request.body), self.credentials,
                              self.backend.clock.now(), region=config.region, service="lambda")
        if not result.allowed or result.credential is None:
            if result.gateway_response == "MISSING_AUTHENTICATION_TOKEN":
                return FORBIDDEN  # an unsigned request
            return _answer(403, json.loads(result.body)["message"], result.error_type)
        cred = result.credential
        return {"iam": {"accessKey": cred.access_key_id, "accountId": cred.account_id, "callerId": cred.user_id,
                        "cognitoIdentity": None, "principalOrgId": None, "userArn": cred.arn,
                        "userId": cred.user_id}}

    def _invoke(self, config: FunctionUrlConfig, request: HttpRequest,
                authorizer: dict[str, Any] | None) -> HttpResponse:
        if len(request.body) > MAX_REQUEST:
            return _answer(413, f"Request must be smaller than {MAX_REQUEST} bytes for the InvokeFunction operation",
                           "RequestEntityTooLargeException")
        ctx = self._context(config, request, authorizer)
        event = http_event(request, ctx, added_headers=_added(request, ctx))
        payload = json.dumps(event).encode()
        try:
            fn, _fv, q = self.backend.resolve(config.function_name, config.qualifier)
            out = self.backend.invoke(fn, q, payload, trigger="function-url")
        except AwsError as err:
            return THROTTLED if err.status == 429 else _answer(502, "Internal Server Error")
        request_id = (("x-amzn-RequestId", out.record.request_id),)
        if out.function_error:
            return replace(INTERNAL, headers=INTERNAL.headers + request_id)
        try:
            answer = parse_v2(out.payload)
        except MalformedResponse:
            return replace(INTERNAL, headers=INTERNAL.headers + request_id)
        return HttpResponse(answer.status, tuple(answer.headers) + request_id, answer.body)

    def _context(self, config: FunctionUrlConfig, request: HttpRequest,
                 authorizer: dict[str, Any] | None) -> RouteContext:
        now = self.backend.clock.now()
        request_id = str(uuid.UUID(int=self.backend.rng.getrandbits(128), version=4))
        return RouteContext(
            api_id=config.url_id, account_id=self.backend.registry.account_id, stage="$default",
            method=request.method, resource_path="", route_key="$default", path=request.raw_path,
            stage_path=request.raw_path, path_parameters=None, stage_variables=None, request_id=request_id,
            extended_request_id=request_id, time_epoch=now, authorizer=authorizer)

    # -- life ---------------------------------------------------------------------------------

    def forget(self, url_id: str) -> None:
        """Close the front door of a deleted URL."""
        self._doors.forget(url_id)

    def close(self) -> None:
        self._doors.close()


def _url_id_of(url: str) -> str:
    """The url-id of ``https://<url-id>.lambda-url.<region>.on.aws/…``."""
    host = urlsplit(url).hostname or ""
    if ".lambda-url." not in host:
        raise ValueError(f"{url!r} is not a function URL (https://<url-id>.lambda-url.<region>.on.aws/)")
    return host.split(".", 1)[0]


def _as_received(config: FunctionUrlConfig, request: HttpRequest) -> HttpRequest:
    """The request as Lambda sees it: ``Host`` is the URL's domain (not the loopback address)."""
    kept = tuple((k, v) for k, v in request.headers
                 if k.lower() not in ("host", "connection", "expect", "transfer-encoding"))
    return replace(request, headers=(("Host", config.domain),) + kept)


def _added(request: HttpRequest, ctx: RouteContext) -> list[tuple[str, str]]:
    """Headers Lambda adds before the event is built (the URL is HTTPS on port 443)."""
    trace = f"Root=1-{int(ctx.time_epoch):08x}-{ctx.request_id.replace('-', '')[:24]}"
    return [("x-amzn-trace-id", trace), ("x-forwarded-for", request.source_ip), ("x-forwarded-port", "443"),
            ("x-forwarded-proto", "https")]


def _preflight(config: FunctionUrlConfig, request: HttpRequest) -> HttpResponse | None:
    """A CORS preflight, answered from the URL's ``Cors`` without invoking the function."""
    settings = config.cors_config
    if not settings or request.method != "OPTIONS" or not request.header("access-control-request-method"):
        return None
    answer = cors.preflight_response(settings, dict(request.headers))
    if answer is None:
        return None
    status, headers = answer
    return HttpResponse(status, tuple(headers.items()), b"")


def _with_cors(config: FunctionUrlConfig, request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The configured CORS headers replace the function's own ``Access-Control-*`` headers."""
    settings = config.cors_config
    if not settings:
        return response
    extra = cors.response_headers(settings, dict(request.headers)) or {}
    kept = tuple((k, v) for k, v in response.headers if not k.lower().startswith("access-control-"))
    return replace(response, headers=kept + tuple(extra.items()))
