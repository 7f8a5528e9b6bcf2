"""Shared fixtures: a Cloud on each clock; the ``process`` marker, enforced.

A test that starts an execution environment (an OS process) must carry ``@pytest.mark.process``
(every test under ``tests/runtime/`` does), so that ``make test-fast`` (``-m "not process"``) runs
none: an unmarked test that starts one fails and says so.
"""

from __future__ import annotations

import pytest

from minilambda import Cloud


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/runtime/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.process)


@pytest.fixture(autouse=True)
def _processes_need_the_marker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse to start an environment in a test without the ``process`` marker."""
    if request.node.get_closest_marker("process") is not None:
        return
    from minilambda.runtime.environment import ProcessEnvironment

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError(f"{request.node.nodeid} starts an execution environment: "
                             "mark it @pytest.mark.process")

    monkeypatch.setattr(ProcessEnvironment, "start", refuse)


@pytest.fixture
def cloud():
    """A wall-clock Cloud, closed (processes killed) after the test."""
    with Cloud(seed=1) as c:
        yield c


@pytest.fixture
def vcloud():
    """A virtual-clock Cloud starting at a fixed time."""
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=1) as c:
        yield c


@pytest.fixture
def lam(cloud):
    return cloud.client("lambda")
