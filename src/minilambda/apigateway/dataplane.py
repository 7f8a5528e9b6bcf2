"""API Gateway's data plane: one request in, AWS's answer out, a record and log lines left behind.

``ApiGateway.handle(api_id, HttpRequest) -> HttpResponse`` serves REST APIs (``rest.py``) and
HTTP APIs (``http_api.py``) alike, for the loopback front doors (``frontdoor.py``) and for
``cloud.http`` in-process: the same code path, on the Cloud's clock. On a virtual clock a request
takes exactly its integration's time (API Gateway's own overhead is taken as zero).
"""

from __future__ import annotations

import base64
import email.utils
import json
import random
import threading
import time
import uuid
from typing import Any

from .config import ConfigReader, DeploymentSnapshots, HttpApiView, RestApiView
from .records import ApiRequest, HttpRequest, HttpResponse
from .exchange import Exchange
from .frontdoor import FrontDoors
from .http_deployments import HttpDeployments
from .responses import DEFAULT_TEMPLATE, ERROR_TYPES, GatewayError

class ApiGateway:
    """One Cloud's API Gateway data plane (REST and HTTP APIs) and its records."""

    def __init__(self, cloud: Any) -> None:
        from .throttling import Throttler

        self.cloud = cloud
        self.snapshots = DeploymentSnapshots()
        self.http_deployments = HttpDeployments()  # HTTP API deployments (moto has none)
        self.config = ConfigReader(cloud, self.snapshots)
        self.requests: list[ApiRequest] = []
        self.throttler = Throttler()
        self.auth_cache = _optional_auth_cache()
        self.lock = threading.RLock()  # throttler, caches, records
        self._rng = random.Random(cloud.rng.randrange(2**32))
        self._doors = FrontDoors(self)  # one loopback server per API, started on first use
        self._caches: dict[tuple[str, str], Any] = {}
        self._cache_since: dict[tuple[str, str], tuple[str, float]] = {}  # size, first use (billing)
        self.canaries: dict[tuple[str, str], dict[str, Any]] = {}  # REST stage canarySettings (moto has none)
        self.jwks_overrides: dict[str, dict[str, Any]] = {}  # issuer -> JWKS (tests, local issuers)
        self.credentials: dict[str, Any] = {}  # access key id -> sigv4_auth.Credential (AWS_IAM)
        self.add_credentials("minilambda", "minilambda")  # what cloud.client() signs with
        self.jwks_resolvers: list[Any] = []  # issuer -> JWKS or None (e.g. the Cloud's Cognito pools)

    def add_credentials(self, access_key_id: str, secret_access_key: str, *, session_token: str | None = None,
                        arn: str | None = None) -> None:
        """Make a key pair valid for ``AWS_IAM`` methods and routes (SigV4 is really verified)."""
        from .sigv4_auth import Credential

        parts = (arn or "").split(":")
        account = parts[4] if len(parts) > 5 and parts[4] else self.cloud.account_id  # another account's user
        self.credentials[access_key_id] = Credential(
            access_key_id, secret_access_key, session_token, None, account,
            arn or f"arn:aws:iam::{account}:user/{access_key_id}", access_key_id)

    # -- identity and time ----------------------------------------------------------------

    def new_ids(self) -> tuple[str, str]:
        """A request id (UUID) and an extended request id (16 base64 characters ending in '=')."""
        with self.lock:
            rid = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            ext = base64.b64encode(self._rng.getrandbits(88).to_bytes(11, "big")).decode()[:15] + "="
        return rid, ext

    def http_date(self) -> str:
        return email.utils.formatdate(self.cloud.clock.now(), usegmt=True)

    # -- entry point ----------------------------------------------------------------------

    def handle(self, api_id: str, request: HttpRequest) -> HttpResponse:
        """Answer one request to API *api_id* (REST or HTTP API) exactly as AWS would."""
        view = self.config.api(api_id)
        rid, ext = self.new_ids()
        api_type = "HTTP" if isinstance(view, HttpApiView) else "REST"
        exchange = Exchange(api_id, api_type, request, rid, ext, self.cloud.clock.now(), time.perf_counter())
        if view is None:
            response = self._unknown_api(exchange)
        elif isinstance(view, RestApiView):
            from .rest import serve_rest

            response = serve_rest(self, view, exchange)
        else:
            from .http_api import serve_http

            response = serve_http(self, view, exchange)
        self._finish(exchange, response)
        return response

    def _unknown_api(self, exchange: Exchange) -> HttpResponse:
        exchange.error_type = "UNKNOWN_API"
        body = b'{"message":"Not Found"}'
        return HttpResponse(404, (("Content-Type", "application/json"),), body)

    # -- errors ---------------------------------------------------------------------------

    def rest_error(self, view: RestApiView, exchange: Exchange, error: GatewayError) -> HttpResponse:
        """A REST gateway response: AWS's default, or the API's customised one (PutGatewayResponse)."""
        exchange.error_type = error.response_type
        if error.log:
            exchange.note(error.log, "ERROR")
            exchange.error = exchange.error or error.log
        custom = _custom_response(view, error)
        status, body = error.status, error.body
        headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
        if custom is not None:
            status = int(custom.get("statusCode") or error.status)
            template = (custom.get("responseTemplates") or {}).get("application/json", DEFAULT_TEMPLATE)
            body = render_gateway_template(template, error, exchange)
            for key, value in (custom.get("responseParameters") or {}).items():
                if key.startswith("gatewayresponse.header."):
                    headers.append((key[len("gatewayresponse.header."):], value.strip("'")))
        headers += self.rest_headers(exchange)
        headers.append(("x-amzn-ErrorType", ERROR_TYPES.get(error.response_type, "InternalServerErrorException")))
        exchange.note(f"Method completed with status: {status}", "ERROR")
        return HttpResponse(status, tuple(headers), body.encode())

    def http_error(self, exchange: Exchange, status: int, body: str, *, error_type: str, log: str = "",
                   extra: tuple[tuple[str, str], ...] = ()) -> HttpResponse:
        """An HTTP API error answer (no customisation exists for HTTP APIs)."""
        exchange.error_type = error_type
        if log:
            exchange.note(log)
            exchange.error = exchange.error or log
        headers = (("Content-Type", "application/json"),) + extra + self.http_headers(exchange)
        return HttpResponse(status, headers, body.encode())

    def rest_headers(self, exchange: Exchange) -> tuple[tuple[str, str], ...]:
        """Headers AWS adds to every REST answer (aws-facts-2 §7.4)."""
        return (("Date", self.http_date()), ("x-amzn-RequestId", exchange.request_id),
                ("x-amz-apigw-id", exchange.extended_id),
                ("X-Amzn-Trace-Id", _trace_id(exchange)))

    def http_headers(self, exchange: Exchange) -> tuple[tuple[str, str], ...]:
        """Headers AWS adds to every HTTP API answer."""
        return (("Date", self.http_date()), ("apigw-requestid", exchange.extended_id))

    # -- the end of every request -----------------------------------------------------------

    def _finish(self, exchange: Exchange, response: HttpResponse) -> None:
        clock = self.cloud.clock
        latency = ((clock.now() - exchange.start) if clock.virtual else (time.perf_counter() - exchange.wall_start))
        latency_ms = max(round(latency * 1000.0, 3), exchange.integration_latency_ms or 0.0)
        request = exchange.request
        shown_id = exchange.request_id if exchange.api_type == "REST" else exchange.extended_id  # as the client sees it
        record = ApiRequest(
            shown_id, exchange.api_id, exchange.api_type, exchange.stage, exchange.route,
            request.method, request.raw_path, response.status, exchange.start, latency_ms,
            exchange.integration_latency_ms, exchange.throttled, exchange.authorized, exchange.error_type,
            exchange.error, exchange.function_name, len(request.body), len(response.body),
            exchange.cache_hit, exchange.canary)
        with self.lock:
            self.requests.append(record)
        from .logging import write_access_log, write_execution_log

        write_execution_log(self, exchange)
        write_access_log(self, exchange, record)

    # -- what the security steps need ---------------------------------------------------------

    def usage_plan_key(self, api_id: str, stage: str, value: str | None, method_key: str) -> Any:
        """The usage-plan view of an API key value for this API stage, or None (missing, unknown,
        disabled, or in no plan of this stage)."""
        from .throttling import QuotaSettings, ThrottleSettings, UsagePlanKey

        if not value:
            return None
        keys, plans = self.config.usage()
        key = keys.get(value)
        if key is None or not key.get("enabled", False):
            return None
        for plan in plans:
            if key["id"] not in plan.get("_keyIds", ()):
                continue
            for api_stage in plan.get("apiStages") or []:
                if api_stage.get("apiId") == api_id and api_stage.get("stage") == stage:
                    method_throttle = (api_stage.get("throttle") or {}).get(method_key)
                    return UsagePlanKey(plan["id"], key["id"], ThrottleSettings.from_aws(plan.get("throttle")),
                                        ThrottleSettings.from_aws(method_throttle),
                                        QuotaSettings.from_aws(plan.get("quota")), plan.get("_createdAt"))
        return None

    def stage_cache(self, api_id: str, stage: str, size_gb: str) -> Any:
        """The stage's cache cluster (created on first use, kept until flushed or the Cloud closes)."""
        from .cache import StageCache

        with self.lock:
            cache = self._caches.get((api_id, stage))
            if cache is None:
                cache = self._caches[(api_id, stage)] = StageCache(size_gb)
                self._cache_since[(api_id, stage)] = (size_gb, self.cloud.clock.now())
            return cache

    def flush_stage_cache(self, api_id: str, stage: str) -> None:
        """``FlushStageCache``."""
        with self.lock:
            cache = self._caches.get((api_id, stage))
            if cache is not None:
                cache.flush()

    def fetch_jwks(self, issuer: str) -> dict[str, Any]:
        """An issuer's JWKS: registered ones (tests, the Cloud's Cognito pools) or a loopback issuer's
        ``/.well-known/openid-configuration``. Nothing is ever fetched from the internet."""
        if issuer in self.jwks_overrides:
            return self.jwks_overrides[issuer]
        for resolve in list(self.jwks_resolvers):
            found = resolve(issuer)
            if found is not None:
                return found
        from urllib.parse import urlsplit

        host = urlsplit(issuer).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise LookupError(f"no local JWKS for issuer {issuer!r}; minilambda never fetches from the internet")
        import urllib.request

        with urllib.request.urlopen(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=1.5) as resp:
            jwks_uri = json.loads(resp.read())["jwks_uri"]
        if (urlsplit(jwks_uri).hostname or "") not in ("127.0.0.1", "localhost", "::1"):
            raise LookupError(f"JWKS URI {jwks_uri!r} is not local")
        with urllib.request.urlopen(jwks_uri, timeout=1.5) as resp:
            return json.loads(resp.read())

    def charges(self) -> dict[str, Any]:
        """What this Cloud's API requests cost so far (``billing.api_request_charges``)."""
        from .billing import api_request_charges

        with self.lock:
            records = list(self.requests)
        return api_request_charges(records, region=self.cloud.region)

    def cache_charges(self) -> list[Any]:
        """Stage cache hours so far (from each cache's first use on the Cloud's clock)."""
        from .billing import cache_charges

        with self.lock:
            caches = [(api, stage, size, since) for (api, stage), (size, since) in self._cache_since.items()]
        return cache_charges(caches, self.cloud.clock.now(), region=self.cloud.region)

    # -- front doors ------------------------------------------------------------------------

    def base_url(self, api_id: str) -> str:
        """``http://127.0.0.1:PORT`` of the API's loopback front door (started on first use)."""
        return self._doors.url(api_id)

    def url(self, api_id: str, stage: str | None = None) -> str:
        """The invoke URL of a stage: ``http://127.0.0.1:PORT/{stage}`` (``$default``: no segment);
        WebSocket APIs: ``ws://127.0.0.1:PORT/{stage}``."""
        view = self.config.api(api_id)
        websockets = self.cloud.websocket_apis
        if isinstance(view, HttpApiView) and view.api.get("ProtocolType") == "WEBSOCKET" and websockets is not None:
            return websockets.url(api_id, stage or "$default")
        base = self.base_url(api_id)
        if stage is None or stage == "$default":
            return base
        return f"{base}/{stage}"

    def request(self, method: str, url: str, headers: dict[str, str] | None = None,
                body: bytes | str | None = None) -> HttpResponse:
        """Make a request in-process (no socket) through the same code path as the front doors.

        *url* is a front-door URL (``cloud.api_url(…)`` + path) or AWS's own form
        ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/…``.
        """
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        api_id = self._api_of(parts.hostname or "", parts.port)
        request = HttpRequest.from_url(method, url, headers, body)
        request = HttpRequest(request.method, request.target, request.headers, request.body,
                              scheme=parts.scheme or "http")
        if api_id is None:
            return HttpResponse(404, (("Content-Type", "application/json"),), b'{"message":"Not Found"}')
        return self.handle(api_id, request)

    def _api_of(self, host: str, port: int | None) -> str | None:
        if ".execute-api." in host:
            return host.split(".", 1)[0]
        return self._doors.key_of_port(port)

    def forget(self, api_id: str) -> None:
        """Close the front door of a deleted API."""
        self._doors.forget(api_id)

    def close(self) -> None:
        self._doors.close()


def _optional_auth_cache() -> Any:
    from .policy import AuthorizerCache

    return AuthorizerCache()


def _trace_id(exchange: Exchange) -> str:
    return f"Root=1-{int(exchange.start):08x}-{exchange.request_id.replace('-', '')[:24]}"


def _custom_response(view: RestApiView, error: GatewayError) -> dict[str, Any] | None:
    """The API's non-default gateway response for this error (its type, else DEFAULT_4XX/5XX)."""
    responses = view.gateway_responses
    own = responses.get(error.response_type)
    if own is not None and not own.get("defaultResponse", False):
        return own
    family = "DEFAULT_4XX" if 400 <= error.status < 500 else "DEFAULT_5XX"
    fallback = responses.get(family)
    if fallback is not None and not fallback.get("defaultResponse", False):
        return fallback
    return None


def render_gateway_template(template: str, error: GatewayError, exchange: Exchange) -> str:
    """Render a customised gateway response template with Velocity (``vtl.gateway_response_body``)."""
    from .vtl import TemplateError, gateway_response_body

    context = {"error": {"message": error.message, "responseType": error.response_type},
               "requestId": exchange.request_id, "extendedRequestId": exchange.extended_id,
               "stage": exchange.stage or "", "apiId": exchange.api_id}
    try:
        return gateway_response_body(template, context)
    except TemplateError:
        return error.body
