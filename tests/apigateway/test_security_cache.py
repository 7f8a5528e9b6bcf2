"""Stage cache: TTL on the caller's clock, cache keys, per-method settings, invalidation rules, capacity."""

from __future__ import annotations

import pytest

from minilambda.apigateway.cache import (
    MAX_ENTRY_BYTES, CachedResponse, MethodCacheSettings, StageCache, cache_key, validate_settings,
)

T0 = 1_800_000_000.0
ON = MethodCacheSettings(enabled=True)
OK = CachedResponse(200, {"Content-Type": "application/json"}, b'{"n": 1}')


def _key(**query):
    return cache_key("GET", "/pets/{id}", ["method.request.querystring.type"], {"id": "1"}, query, {})


def test_miss_then_hit_until_ttl_default_300():
    cache = StageCache()
    assert cache.lookup(_key(), ON, T0).action == "miss"
    assert cache.store(_key(), OK, ON, T0)
    hit = cache.lookup(_key(), ON, T0 + 299.9)
    assert (hit.action, hit.response) == ("hit", OK)
    assert cache.lookup(_key(), ON, T0 + 300).action == "miss"
    assert (cache.hits, cache.misses) == (1, 2)


def test_ttl_zero_or_disabled_bypasses():
    cache = StageCache()
    for settings in (MethodCacheSettings(enabled=True, ttl_seconds=0), MethodCacheSettings()):
        assert cache.lookup(_key(), settings, T0).action == "bypass"
        assert not cache.store(_key(), OK, settings, T0)


def test_cache_key_uses_only_configured_parameters():
    assert _key(type="dog") != _key(type="cat")
    assert _key(type="dog", page="1") == _key(type="dog", page="2")  # page is not a cache key
    other_id = cache_key("GET", "/pets/{id}", ["method.request.querystring.type"], {"id": "2"}, {}, {})
    assert other_id == _key()  # path parameter not declared as a key: shared entry
    by_id = cache_key("GET", "/pets/{id}", ["method.request.path.id"], {"id": "2"}, {}, {})
    assert by_id != cache_key("GET", "/pets/{id}", ["method.request.path.id"], {"id": "1"}, {}, {})
    header_key = cache_key("GET", "/p", ["method.request.header.X-Tenant"], {}, {}, {"x-tenant": "a"})
    assert header_key[2] == (("method.request.header.X-Tenant", "a"),)
    assert cache_key("POST", "/p", [], {}, {}, {}) != cache_key("GET", "/p", [], {}, {}, {})


def test_method_settings_resolution_wildcard_caches_get_only():
    settings = {"*/*": {"cachingEnabled": True, "cacheTtlInSeconds": 60},
                "~1pets/POST": {"cachingEnabled": True, "cacheTtlInSeconds": 10},
                "~1pets~1{id}/GET": {"cachingEnabled": False}}
    assert MethodCacheSettings.resolve(settings, "/pets", "GET") == MethodCacheSettings(True, 60)
    assert MethodCacheSettings.resolve(settings, "/other", "PUT").enabled is False
    assert MethodCacheSettings.resolve(settings, "/pets", "POST") == MethodCacheSettings(True, 10)
    assert MethodCacheSettings.resolve(settings, "/pets/{id}", "GET").enabled is False
    assert MethodCacheSettings.resolve(None, "/", "GET").enabled is False


def _warm(settings=ON):
    cache = StageCache()
    cache.store(_key(), OK, settings, T0)
    return cache


def test_authorized_invalidation_refetches():
    cache = _warm()
    assert cache.lookup(_key(), ON, T0 + 1, "max-age=0", may_invalidate=True).action == "invalidate"
    assert len(cache) == 0


def test_unauthorized_invalidation_strategies():
    header = MethodCacheSettings(True)
    served = _warm(header).lookup(_key(), header, T0 + 1, "no-store, max-age=0")
    assert served.action == "hit" and "Warning" in served.extra_headers
    silent = MethodCacheSettings(True, unauthorized_strategy="SUCCEED_WITHOUT_RESPONSE_HEADER")
    quiet = _warm(silent).lookup(_key(), silent, T0 + 1, "max-age=0")
    assert quiet.action == "hit" and quiet.extra_headers == {}
    strict = MethodCacheSettings(True, unauthorized_strategy="FAIL_WITH_403")
    refused = _warm(strict).lookup(_key(), strict, T0 + 1, "max-age=0")
    assert (refused.action, refused.status_code) == ("forbidden", 403)


def test_anyone_invalidates_when_authorization_not_required():
    open_settings = MethodCacheSettings(True, require_authorization=False)
    assert _warm(open_settings).lookup(_key(), open_settings, T0 + 1, "max-age=0").action == "invalidate"


def test_other_cache_control_values_do_not_invalidate():
    assert _warm().lookup(_key(), ON, T0 + 1, "max-age=10", may_invalidate=True).action == "hit"


def test_uncacheable_responses():
    cache = StageCache()
    assert not cache.store(_key(), CachedResponse(500, {}, b"x"), ON, T0)
    assert not cache.store(_key(), CachedResponse(200, {}, b"x" * (MAX_ENTRY_BYTES + 1)), ON, T0)


def test_capacity_evicts_least_recently_used():
    cache = StageCache()
    cache.capacity_bytes = 3 * OK.size
    keys = [_key(type=str(i)) for i in range(4)]
    for key in keys[:3]:
        cache.store(key, OK, ON, T0)
    cache.lookup(keys[0], ON, T0)  # 0 is now recently used
    cache.store(keys[3], OK, ON, T0)
    assert cache.lookup(keys[1], ON, T0).action == "miss"
    assert cache.lookup(keys[0], ON, T0).action == "hit"


def test_flush_and_bounds():
    cache = _warm()
    cache.flush()
    assert cache.lookup(_key(), ON, T0).action == "miss"
    validate_settings(3600, "237")
    with pytest.raises(ValueError, match="between 0 and 3600"):
        validate_settings(3601)
    with pytest.raises(ValueError, match="Cache cluster size"):
        StageCache("2")
