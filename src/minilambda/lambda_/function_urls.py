"""Lambda function URLs, the control plane: ``Create/Get/Update/Delete/ListFunctionUrlConfig(s)``.

One URL per function (``$LATEST``) or alias: AWS refuses a version number (botocore's
``FunctionUrlQualifier`` pattern excludes digits-only qualifiers; a ``name:3`` is refused here).
The URL is AWS's form ``https://<url-id>.lambda-url.<region>.on.aws/`` with a 32-character
lower-case alphanumeric url-id drawn from the backend's seeded generator. ``url_dataplane.py``
serves it; this module is plain Python (no HTTP).

Unverified: the ``CreationTime``/``LastModifiedTime`` format (ISO 8601 with microseconds and
``Z``, as boto3 documents "YYYY-MM-DDThh:mm:ss.sTZD") and the exact wording of the errors.
"""

from __future__ import annotations

import random
import string
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable

from ..clock import Clock
from ..errors import conflict, invalid_parameter, not_found, validation_error

URL_ID_ALPHABET = string.ascii_lowercase + string.digits
URL_ID_LENGTH = 32
AUTH_TYPES = ("NONE", "AWS_IAM")
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
CORS_KEYS = ("AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigins", "ExposeHeaders", "MaxAge")


def url_timestamp(t: float) -> str:
    """``2021-10-25T18:21:43.130276Z``: ISO 8601 in UTC with microseconds (unverified against AWS)."""
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class FunctionUrlConfig:
    """One function URL: which function and alias it invokes, and how it is configured."""

    url_id: str
    region: str
    function_name: str
    qualifier: str | None  # an alias name, or None for $LATEST
    function_arn: str
    auth_type: str
    cors: tuple[tuple[str, Any], ...] | None
    invoke_mode: str
    creation_time: str
    last_modified_time: str

    @property
    def domain(self) -> str:
        """``<url-id>.lambda-url.<region>.on.aws``."""
        return f"{self.url_id}.lambda-url.{self.region}.on.aws"

    @property
    def url(self) -> str:
        """``https://<url-id>.lambda-url.<region>.on.aws/``, as ``FunctionUrl`` shows it."""
        return f"https://{self.domain}/"

    @property
    def cors_config(self) -> dict[str, Any] | None:
        """The ``Cors`` structure as a dict (None when not configured)."""
        return None if self.cors is None else {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.cors}

    def describe(self, *, modified: bool = True) -> dict[str, Any]:
        """The ``FunctionUrlConfig`` shape (``modified=False``: Create's answer, without LastModifiedTime)."""
        out: dict[str, Any] = {"FunctionUrl": self.url, "FunctionArn": self.function_arn, "AuthType": self.auth_type}
        if self.cors is not None:
            out["Cors"] = self.cors_config
        out["CreationTime"] = self.creation_time
        if modified:
            out["LastModifiedTime"] = self.last_modified_time
        out["InvokeMode"] = self.invoke_mode
        return out


def _frozen_cors(cors: Any) -> tuple[tuple[str, Any], ...] | None:
    """Check a ``Cors`` structure (AWS's rules) and freeze it."""
    if not cors:
        return None
    if not isinstance(cors, dict):
        raise invalid_parameter("Cors must be an object of AllowCredentials, AllowHeaders, AllowMethods, "
                                "AllowOrigins, ExposeHeaders and MaxAge.")
    unknown = sorted(set(cors) - set(CORS_KEYS))
    if unknown:
        raise invalid_parameter(f"Unknown Cors field(s) {', '.join(unknown)}; use {', '.join(CORS_KEYS)}.")
    if cors.get("AllowCredentials") and "*" in (cors.get("AllowOrigins") or []):
        raise invalid_parameter("AllowCredentials cannot be true when AllowOrigins contains '*'; list the "
                                "origins explicitly or turn AllowCredentials off.")
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(cors.items()))


def _choice(value: Any, allowed: tuple[str, ...], field_name: str) -> str:
    if value not in allowed:
        raise validation_error(f"1 validation error detected: Value '{value}' at '{field_name}' failed to satisfy "
                                f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]")
    return str(value)


class FunctionUrls:
    """The function URL configs of one account's functions, keyed by (function name, alias or None)."""

    def __init__(self, registry: Any, rng: random.Random, clock: Clock) -> None:
        self.registry = registry
        self.rng = rng
        self.clock = clock
        self.lock = threading.Lock()
        self.configs: dict[tuple[str, str | None], FunctionUrlConfig] = {}
        self.on_delete: list[Callable[[str], None]] = []  # told each deleted url-id (the data plane closes its door)

    def _target(self, name: str, qualifier: str | None) -> tuple[str, str | None]:
        """(function name, alias or None); a version number or a missing alias is refused as AWS does."""
        fn, _fv, q = self.registry.resolve(name, qualifier)
        if q is None or q == "$LATEST":
            return fn.name, None
        if q.isdigit():
            raise invalid_parameter("Function URLs can only be configured on a function's unpublished version "
                                    "($LATEST) or an alias, not on version " f"{q}.")
        return fn.name, q

    def _url_id(self) -> str:
        taken = {c.url_id for c in self.configs.values()}
        while True:
            url_id = "".join(self.rng.choice(URL_ID_ALPHABET) for _ in range(URL_ID_LENGTH))
            if url_id not in taken:
                return url_id

    def create(self, name: str, qualifier: str | None, body: dict[str, Any]) -> FunctionUrlConfig:
        """A new URL for a function or alias; 409 when it already has one."""
        auth = _choice(body.get("AuthType"), AUTH_TYPES, "authType")
        mode = _choice(body.get("InvokeMode") or "BUFFERED", INVOKE_MODES, "invokeMode")
        cors = _frozen_cors(body.get("Cors"))
        fname, q = self._target(name, qualifier)
        now = url_timestamp(self.clock.now())
        arn = self.registry.function_arn(fname, q)
        with self.lock:
            existing = self.configs.get((fname, q))
            if existing is not None:
                raise conflict(f"Failed to create function url config for [functionArn = {arn}]. Error message:  "
                               "FunctionUrlConfig exists for this Lambda function")
            config = FunctionUrlConfig(self._url_id(), self.registry.region, fname, q, arn, auth, cors, mode, now, now)
            self.configs[(fname, q)] = config
        return config

    def get(self, name: str, qualifier: str | None) -> FunctionUrlConfig:
        """The URL config of a function or alias; 404 when there is none."""
        fname, q = self._target(name, qualifier)
        with self.lock:
            config = self.configs.get((fname, q))
        if config is None:
            raise not_found("The resource you requested does not exist.")
        return config

    def update(self, name: str, qualifier: str | None, body: dict[str, Any]) -> FunctionUrlConfig:
        """Change AuthType, Cors or InvokeMode (omitted fields keep their values)."""
        changes: dict[str, Any] = {}
        if body.get("AuthType") is not None:
            changes["auth_type"] = _choice(body["AuthType"], AUTH_TYPES, "authType")
        if body.get("InvokeMode") is not None:
            changes["invoke_mode"] = _choice(body["InvokeMode"], INVOKE_MODES, "invokeMode")
        if "Cors" in body:
            changes["cors"] = _frozen_cors(body["Cors"])
        current = self.get(name, qualifier)
        updated = replace(current, last_modified_time=url_timestamp(self.clock.now()), **changes)
        with self.lock:
            self.configs[(current.function_name, current.qualifier)] = updated
        return updated

    def delete(self, name: str, qualifier: str | None) -> None:
        """Remove a URL (404 when there is none); its address stops answering."""
        config = self.get(name, qualifier)
        self._drop([(config.function_name, config.qualifier)])

    def list(self, name: str) -> list[FunctionUrlConfig]:
        """Every URL of a function ($LATEST first, then aliases by name)."""
        fn, _fv, _q = self.registry.resolve(name)
        with self.lock:
            found = [c for (fname, _), c in self.configs.items() if fname == fn.name]
        return sorted(found, key=lambda c: (c.qualifier is not None, c.qualifier or ""))

    def by_url_id(self, url_id: str) -> FunctionUrlConfig | None:
        """The config behind a url-id (None when no URL has it)."""
        with self.lock:
            return next((c for c in self.configs.values() if c.url_id == url_id), None)

    def forget(self, function_name: str, qualifier: str | None) -> None:
        """A deleted function (qualifier None: all its URLs) or alias loses its URLs."""
        with self.lock:
            keys = [k for k in self.configs if k[0] == function_name and (qualifier is None or k[1] == qualifier)]
        self._drop(keys)

    def _drop(self, keys: list[tuple[str, str | None]]) -> None:
        with self.lock:
            gone = [self.configs.pop(k) for k in keys if k in self.configs]
        for config in gone:
            for listener in list(self.on_delete):
                listener(config.url_id)
