"""The services over real loopback HTTP with SigV4-signed clients (how handlers' boto3 calls arrive)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config

from minilambda.clock import WallClock
from minilambda.wire import Dispatcher, LoopbackEndpoint as Gateway

from .conftest import adapter_for
from minilambda.services.eventbridge import EventBridgeBackend as EventBridgeService
from minilambda.services.s3 import S3Backend as S3Service
from minilambda.services.sns import SnsBackend as SnsService
from minilambda.services.sqs import SqsBackend as SqsService


@pytest.fixture
def stack():
    clock = WallClock()
    sqs = SqsService(clock)
    calls = []
    services = {
        "sqs": sqs,
        "s3": S3Service(clock, sqs=sqs, notify=lambda a, e: calls.append((a, e))),
        "sns": SnsService(clock, sqs=sqs, notify=lambda a, e: calls.append((a, e))),
        "events": EventBridgeService(clock, sqs=sqs, notify=lambda a, e: calls.append((a, e))),
    }
    dispatcher = Dispatcher()
    for name, backend in services.items():
        dispatcher.register(name, adapter_for(name, backend))
    gw = Gateway(dispatcher.dispatch)
    session = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                    region_name="us-east-1")

    def client(name):
        return session.client(name, endpoint_url=gw.url,
                              config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}))

    yield client, services, calls
    gw.close()
    clock.close()


def test_all_services_over_http(stack):
    client, services, calls = stack
    sqs, s3, sns, events = client("sqs"), client("s3"), client("sns"), client("events")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hi")
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["Body"] == "hi"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="missing")

    s3.create_bucket(Bucket="bkt1")
    s3.put_object(Bucket="bkt1", Key="a/b c.txt", Body=b"payload")
    assert s3.get_object(Bucket="bkt1", Key="a/b c.txt")["Body"].read() == b"payload"
    assert s3.head_object(Bucket="bkt1", Key="a/b c.txt")["ETag"].startswith('"')
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="bkt1", Key="nope")

    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=services["sqs"].queue_arn("q"))
    sns.publish(TopicArn=topic, Message="via sns")
    body = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert body["Message"] == "via sns"
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn=topic + "x", Message="m")

    events.put_rule(Name="r", ScheduleExpression="rate(1 day)")
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_rule(Name="nope")
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f"}])
    assert events.list_targets_by_rule(Rule="r")["Targets"][0]["Id"] == "t"


def test_long_poll_on_wall_clock_returns_early_when_a_message_arrives(stack):
    import threading
    import time

    client, services, _ = stack
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="lp")["QueueUrl"]
    threading.Timer(0.3, lambda: services["sqs"].send(services["sqs"].queue_arn("lp"), "late")).start()
    t0 = time.monotonic()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    assert got["Messages"][0]["Body"] == "late" and time.monotonic() - t0 < 3
