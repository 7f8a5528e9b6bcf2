"""Real botocore clients answered in-process by the services under test."""

from __future__ import annotations

import random

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from minilambda.clock import VirtualClock
from minilambda.wire import Dispatcher, attach_in_process

START = 1_700_000_000.0  # 2023-11-14T22:13:20Z


_SESSION = boto3.session.Session()  # one session: its loader caches the service models


def make_client(name: str, service):
    client = _SESSION.client(
        name, region_name="us-east-1", endpoint_url=f"https://{name}.us-east-1.amazonaws.com",
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1},
                      s3={"addressing_style": "path"}))
    dispatcher = Dispatcher()
    dispatcher.register(name, adapter_for(name, service))
    attach_in_process(client, lambda req: dispatcher.dispatch(name, req))
    return client


def adapter_for(name: str, backend):
    """The adapter that serves *backend* on the wire."""
    from minilambda.services.eventbridge_api import EventBridgeApi
    from minilambda.services.s3_api import S3Api
    from minilambda.services.sns_api import SnsApi
    from minilambda.services.sqs_api import SqsApi

    return {"sqs": SqsApi, "events": EventBridgeApi, "s3": S3Api, "sns": SnsApi}[name](backend)


@pytest.fixture
def clock():
    return VirtualClock(start=START)


@pytest.fixture
def rng():
    return random.Random(1234)


@pytest.fixture
def notified():
    """A notify(target_arn, event) callback that records its calls."""
    calls: list[tuple[str, dict]] = []

    def notify(arn, event):
        calls.append((arn, event))

    notify.calls = calls
    return notify
