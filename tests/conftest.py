"""Shared fixtures: a Cloud on each clock, and small handlers built in memory."""

from __future__ import annotations

import pytest

from minilambda import Cloud, zip_files

ROLE = "arn:aws:iam::123456789012:role/lambda-role"

ECHO = '''
import json
def handler(event, context):
    print(json.dumps(event))
    return event
'''


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


def make_function(lam, name="echo", source=ECHO, *, handler="app.handler", runtime="python3.12", files=None, **kw):
    """Create a function from source text (or a files mapping) and return its configuration."""
    code = zip_files(files or {"app.py": source})
    return lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                               Code={"ZipFile": code}, **kw)
