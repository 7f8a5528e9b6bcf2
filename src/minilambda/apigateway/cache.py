"""The REST API stage cache, on the caller's clock: TTLs, cache keys, per-method settings, invalidation.

Interface (pure; one ``StageCache`` per API stage with ``cacheClusterEnabled``):

* ``MethodCacheSettings.resolve(method_settings, resource_path, http_method)`` reads the stage's
  ``methodSettings`` (the method's own entry, else ``*/*``): ``cachingEnabled``, ``cacheTtlInSeconds``
  (default 300, 0 = off, max 3600), ``requireAuthorizationForCacheControl`` (default true),
  ``unauthorizedCacheControlHeaderStrategy`` (default ``SUCCEED_WITH_RESPONSE_HEADER``). Caching
  enabled by ``*/*`` applies to GET methods only [AGDG api-gateway-caching.md]; a method's own
  entry can enable it for any method.
* ``cache_key(http_method, resource_path, cache_key_parameters, path, querystring, headers)``: the
  method, the resource *template* (``/pets/{id}``) and the values of the integration's
  ``cacheKeyParameters`` (``method.request.path.id``, ``method.request.querystring.q``,
  ``method.request.header.X``); other parameters are ignored, so a path parameter that is not a
  cache key shares the entry (as on AWS).
* ``StageCache(size_gb).lookup(key, settings, now, cache_control, may_invalidate) -> CacheLookup``:
  ``hit`` → answer ``CacheLookup.response`` without calling the integration; ``miss`` or
  ``invalidate`` → call the integration, then ``store(key, response, settings, now)``; ``forbidden`` →
  answer 403 ``CacheLookup.body`` (``FAIL_WITH_403``); ``extra_headers`` go on the response.
  ``Cache-Control: max-age=0`` invalidates only when ``may_invalidate`` (the caller checked
  ``execute-api:InvalidateCache``) or the stage does not require authorization for it.
* ``flush()`` serves ``FlushStageCache``. ``hits``/``misses`` count as CloudWatch's CacheHitCount/
  CacheMissCount. Entries over 1,048,576 bytes are not cached; the least recently used entries go
  when the cache is full. Only 2xx integration responses are stored (unverified).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

DEFAULT_TTL = 300
MAX_TTL = 3600
MAX_ENTRY_BYTES = 1_048_576
CACHE_SIZES_GB = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
Strategy = Literal["FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"]
# Body and header text for unauthorized invalidation are not in the references (unverified).
FORBIDDEN_BODY = '{"message":"User is not authorized to invalidate the cache"}'
WARNING_HEADER = ("Warning", '199 "Cache-control headers were ignored because the caller was not authorized."')


def validate_settings(ttl: int, size_gb: str | None = None) -> None:
    """AWS's bounds: TTL 0–3600 s; cache cluster sizes 0.5 to 237 GB."""
    if not 0 <= ttl <= MAX_TTL:
        raise ValueError(f"Cache TTL must be between 0 and {MAX_TTL} seconds; got {ttl}")
    if size_gb is not None and str(size_gb) not in CACHE_SIZES_GB:
        raise ValueError(f"Cache cluster size must be one of {', '.join(CACHE_SIZES_GB)}; got {size_gb}")


@dataclass(frozen=True)
class MethodCacheSettings:
    """How one method uses the stage cache."""

    enabled: bool = False
    ttl_seconds: int = DEFAULT_TTL
    require_authorization: bool = True
    unauthorized_strategy: Strategy = "SUCCEED_WITH_RESPONSE_HEADER"

    @classmethod
    def from_aws(cls, raw: Mapping[str, Any]) -> "MethodCacheSettings":
        """From one ``methodSettings`` entry of a REST stage."""
        return cls(bool(raw.get("cachingEnabled", False)), int(raw.get("cacheTtlInSeconds", DEFAULT_TTL)),
                   bool(raw.get("requireAuthorizationForCacheControl", True)),
                   raw.get("unauthorizedCacheControlHeaderStrategy", "SUCCEED_WITH_RESPONSE_HEADER"))

    @classmethod
    def resolve(cls, method_settings: Mapping[str, Mapping[str, Any]] | None, resource_path: str,
                http_method: str) -> "MethodCacheSettings":
        """The method's own ``methodSettings`` entry, else ``*/*`` (which caches GET only)."""
        wanted = ("/" + resource_path.strip("/"), http_method.upper())
        for key, raw in (method_settings or {}).items():
            path, _, method = key.replace("~1", "/").rpartition("/")
            if key != "*/*" and ("/" + path.strip("/"), method.upper()) == wanted and "cachingEnabled" in raw:
                return cls.from_aws(raw)
        settings = cls.from_aws((method_settings or {}).get("*/*", {}))
        if http_method.upper() != "GET":
            settings = cls(False, settings.ttl_seconds, settings.require_authorization,
                           settings.unauthorized_strategy)
        return settings


@dataclass(frozen=True)
class CachedResponse:
    """An integration response as the cache keeps it."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers.items())


@dataclass(frozen=True)
class CacheLookup:
    """What to do with a request: serve a hit, call the integration, or refuse."""

    action: Literal["hit", "miss", "invalidate", "bypass", "forbidden"]
    response: CachedResponse | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    status_code: int = 200
    body: str = ""


def _wants_invalidation(cache_control: str | None) -> bool:
    directives = [d.strip().lower().replace(" ", "") for d in (cache_control or "").split(",")]
    return "max-age=0" in directives


def cache_key(http_method: str, resource_path: str, cache_key_parameters: Sequence[str],
              path: Mapping[str, str] | None = None, querystring: Mapping[str, str] | None = None,
              headers: Mapping[str, str] | None = None) -> tuple:
    """Method + resource template + the values of the configured cache key parameters."""
    sources = {"method.request.path.": (path or {}, False),
               "method.request.querystring.": (querystring or {}, False),
               "method.request.header.": (headers or {}, True)}
    values = []
    for parameter in sorted(cache_key_parameters):
        for prefix, (mapping, fold) in sources.items():
            if parameter.startswith(prefix):
                name = parameter[len(prefix):]
                if fold:
                    value = next((v for k, v in mapping.items() if k.lower() == name.lower()), None)
                else:
                    value = mapping.get(name)
                values.append((parameter, value))
    return (http_method.upper(), resource_path, tuple(values))


class StageCache:
    """One stage's cache cluster: entries with expiry times, least recently used first out."""

    def __init__(self, size_gb: str = "0.5") -> None:
        validate_settings(0, size_gb)
        self.capacity_bytes = int(float(size_gb) * 1024 ** 3)
        self._entries: OrderedDict[tuple, tuple[float, CachedResponse]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def lookup(self, key: tuple, settings: MethodCacheSettings, now: float,
               cache_control: str | None = None, may_invalidate: bool = False) -> CacheLookup:
        """Decide how to serve a request (see the module docstring)."""
        if not settings.enabled or settings.ttl_seconds <= 0:
            return CacheLookup("bypass")
        if _wants_invalidation(cache_control):
            if may_invalidate or not settings.require_authorization:
                self._drop(key)
                self.misses += 1
                return CacheLookup("invalidate")
            if settings.unauthorized_strategy == "FAIL_WITH_403":
                return CacheLookup("forbidden", status_code=403, body=FORBIDDEN_BODY)
            found = self._serve(key, now)
            extra = dict([WARNING_HEADER]) if settings.unauthorized_strategy == "SUCCEED_WITH_RESPONSE_HEADER" else {}
            return CacheLookup(found.action, found.response, extra)
        return self._serve(key, now)

    def _serve(self, key: tuple, now: float) -> CacheLookup:
        entry = self._entries.get(key)
        if entry is None or now >= entry[0]:
            if entry is not None:
                self._drop(key)
            self.misses += 1
            return CacheLookup("miss")
        self._entries.move_to_end(key)
        self.hits += 1
        return CacheLookup("hit", entry[1])

    def store(self, key: tuple, response: CachedResponse, settings: MethodCacheSettings, now: float) -> bool:
        """Keep a fresh integration response for the method's TTL; False when it is not cacheable."""
        if (not settings.enabled or settings.ttl_seconds <= 0 or not 200 <= response.status_code < 300
                or response.size > MAX_ENTRY_BYTES):
            return False
        self._drop(key)
        self._entries[key] = (now + settings.ttl_seconds, response)
        self._bytes += response.size
        while self._bytes > self.capacity_bytes and self._entries:
            self._drop(next(iter(self._entries)))
        return key in self._entries

    def _drop(self, key: tuple) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[1].size

    def flush(self) -> None:
        """``FlushStageCache``: forget every entry."""
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
