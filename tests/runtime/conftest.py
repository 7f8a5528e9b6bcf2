"""Fixtures for runtime tests: specs pointing at tests/functions, environments closed after each test."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from minilambda.runtime.environment import ProcessEnvironment, build_runtime_dir
from minilambda.runtime.spec import EnvironmentSpec
from minilambda.runtime.supervisor import Supervisor

FUNCTIONS = str(Path(__file__).resolve().parents[1] / "functions")
ACCOUNT = "123456789012"
ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"


@pytest.fixture(scope="session")
def base_dir() -> Iterator[str]:
    """A scratch folder outside /tmp (so environments can get a private /tmp)."""
    parent = "/var/tmp" if os.path.isdir("/var/tmp") and os.access("/var/tmp", os.W_OK) else None
    path = tempfile.mkdtemp(prefix="minilambda-rt-test-", dir=parent)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def runtime_dir(base_dir: str) -> str:
    return build_runtime_dir(os.path.join(base_dir, "runtime"))


@pytest.fixture
def make_spec(base_dir: str, runtime_dir: str) -> Callable[..., EnvironmentSpec]:
    """Build an EnvironmentSpec for a handler in tests/functions; keyword arguments override fields."""

    def make(handler: str = "noop.handler", **overrides: object) -> EnvironmentSpec:
        tmp = os.path.join(base_dir, "tmp-" + uuid.uuid4().hex[:8])
        spec = EnvironmentSpec(
            function_name="fn", version="$LATEST", function_arn=ARN, runtime="python3.12", handler=handler,
            memory_size=128, timeout=3.0, environment={}, task_root=FUNCTIONS, layer_root=None, tmp_dir=tmp,
            log_group="/aws/lambda/fn", log_stream="2026/11/27/[$LATEST]" + uuid.uuid4().hex, region="us-east-1",
            account_id=ACCOUNT, endpoint_url="http://127.0.0.1:4566", runtime_dir=runtime_dir)
        return replace(spec, **overrides)

    return make


@pytest.fixture(scope="session")
def supervisor() -> Iterator[Supervisor]:
    """One fork server (and guardian) shared by the session's environments, as a Cloud shares one.

    ``MINILAMBDA_TEST_SUPERVISOR=spawn`` runs the same tests on the spawn path."""
    with Supervisor(mode=os.environ.get("MINILAMBDA_TEST_SUPERVISOR", "auto")) as sup:
        yield sup


@pytest.fixture
def make_env(make_spec: Callable[..., EnvironmentSpec],
             supervisor: Supervisor) -> Iterator[Callable[..., ProcessEnvironment]]:
    """Create (not start) environments; all are closed after the test."""
    envs: list[ProcessEnvironment] = []

    def make(handler: str = "noop.handler", **overrides: object) -> ProcessEnvironment:
        env = ProcessEnvironment(make_spec(handler, **overrides), supervisor)
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.close()


def rid() -> str:
    return str(uuid.uuid4())
