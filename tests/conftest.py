"""Shared fixtures: a Cloud on each clock."""

from __future__ import annotations

import pytest

from minilambda import Cloud


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
