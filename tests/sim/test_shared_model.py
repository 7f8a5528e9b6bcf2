"""The simulator decides nothing itself: every request goes through the shared Platform."""

from __future__ import annotations

import doctest

import pytest

import minilambda.sim.arrivals
import minilambda.sim.distributions
import minilambda.sim.memory
from minilambda.model.platform import Platform
from minilambda.sim import Exponential, Poisson, simulate


def test_every_request_goes_through_platform_acquire_and_release(monkeypatch):
    calls = {"acquire": 0, "release": 0, "expire": 0}
    acquire, release, expire = Platform.acquire, Platform.release, Platform.expire

    def counting(name, fn):
        def wrapper(self, *a, **kw):
            calls[name] += 1
            return fn(self, *a, **kw)
        return wrapper

    monkeypatch.setattr(Platform, "acquire", counting("acquire", acquire))
    monkeypatch.setattr(Platform, "release", counting("release", release))
    monkeypatch.setattr(Platform, "expire", counting("expire", expire))
    r = simulate(arrivals=Poisson(3.0), warm=Exponential(1.0), cold=Exponential(2.0), keep_alive=5.0,
                 max_concurrency=3, duration=500.0, seed=8, keep_records=True)
    s = r.summary
    assert calls["acquire"] == s.requests
    ended = sum(1 for x in r.records if x.outcome.value == "success" and x.end <= 500.0)
    assert calls["release"] == ended
    assert calls["expire"] >= 1
    assert s.throttles > 0 and s.cold_starts > 1


@pytest.mark.parametrize("module", [minilambda.sim.arrivals, minilambda.sim.distributions, minilambda.sim.memory],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
