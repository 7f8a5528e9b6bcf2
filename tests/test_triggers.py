"""Asynchronous invocation, destinations, dead-letter queues and SQS event source mappings,
on the virtual clock with real handlers."""

from __future__ import annotations

import json
import threading
import random

import pytest

from helpers import make_function
from golden import assert_matches, load_case
from minilambda import Cloud

FAILS = '''
def handler(event, context):
    if event.get("raise_error"):
        raise Exception("Test exception (this is intentional)")
    return {"ok": True}
'''


@pytest.fixture
def env():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=3) as cloud:
        yield cloud, cloud.client("lambda"), cloud.client("sqs")


def steps(cloud, step):
    return [r for r in cloud.records.events if getattr(r, "step", None) == step]


def receive_body(sqs, url):
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
    return msgs


@pytest.mark.process
def test_retries_exhausted_after_one_and_two_minutes(env):
    cloud, lam, sqs = env
    url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function(lam, "flaky", FAILS)
    lam.put_function_event_invoke_config(FunctionName="flaky", MaximumRetryAttempts=2,
                                         DestinationConfig={"OnFailure": {"Destination": arn}})
    t0 = cloud.clock.now()
    assert lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"raise_error": 1}')["StatusCode"] == 202
    cloud.clock.advance(600)
    attempts = [r.time - t0 for r in steps(cloud, "attempt")]
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] == pytest.approx(60, abs=1) and attempts[2] - attempts[1] == pytest.approx(120, abs=1)
    msgs = receive_body(sqs, url)
    assert len(msgs) == 1
    body = json.loads(msgs[0]["Body"])
    assert body["requestContext"]["condition"] == "RetriesExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 3
    assert body["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert body["requestPayload"] == {"raise_error": 1}


@pytest.mark.process
def test_success_destination_record_shape(env):
    cloud, lam, sqs = env
    rec = load_case("async_destination_on_success")["receive_message_result"]["Messages"][0]["Body"]
    url = sqs.create_queue(QueueName="ok")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function(lam, "good", FAILS)
    lam.put_function_event_invoke_config(FunctionName="good", MaximumRetryAttempts=0,
                                         DestinationConfig={"OnSuccess": {"Destination": arn}, "OnFailure": {"Destination": arn}})
    lam.invoke(FunctionName="good", InvocationType="Event", Payload=b"{}")
    cloud.clock.advance(1)
    body = json.loads(receive_body(sqs, url)[0]["Body"])
    assert list(body) == list(rec)
    assert list(body["requestContext"]) == list(rec["requestContext"])
    assert body["requestContext"]["condition"] == "Success" and body["requestContext"]["approximateInvokeCount"] == 1
    assert body["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert body["responsePayload"] == {"ok": True}


@pytest.mark.process
def test_max_event_age_gives_up_early(env):
    cloud, lam, sqs = env
    url = sqs.create_queue(QueueName="age")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function(lam, "old", FAILS)
    lam.put_function_event_invoke_config(FunctionName="old", MaximumRetryAttempts=2, MaximumEventAgeInSeconds=60,
                                         DestinationConfig={"OnFailure": {"Destination": arn}})
    lam.invoke(FunctionName="old", InvocationType="Event", Payload=b'{"raise_error": 1}')
    cloud.clock.advance(5)
    body = json.loads(receive_body(sqs, url)[0]["Body"])
    assert (body["requestContext"]["condition"], body["requestContext"]["approximateInvokeCount"]) == ("EventAgeExceeded", 1)
    lam.update_function_event_invoke_config(FunctionName="old", MaximumEventAgeInSeconds=90)
    lam.invoke(FunctionName="old", InvocationType="Event", Payload=b'{"raise_error": 1}')
    cloud.clock.advance(600)
    msgs = receive_body(sqs, url)
    body = json.loads(msgs[-1]["Body"])
    assert (body["requestContext"]["condition"], body["requestContext"]["approximateInvokeCount"]) == ("EventAgeExceeded", 2)


def test_zero_reserved_concurrency_goes_straight_to_failure_destination(env):
    cloud, lam, sqs = env
    url = sqs.create_queue(QueueName="zero")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function(lam, "zero", FAILS)
    lam.put_function_concurrency(FunctionName="zero", ReservedConcurrentExecutions=0)
    lam.put_function_event_invoke_config(FunctionName="zero", MaximumRetryAttempts=0,
                                         DestinationConfig={"OnFailure": {"Destination": arn}})
    assert lam.invoke(FunctionName="zero", InvocationType="Event")["StatusCode"] == 202
    cloud.clock.advance(1)
    body = json.loads(receive_body(sqs, url)[0]["Body"])
    expected = load_case("reserved_concurrency_zero_throttles")["msg"]["Body"]
    assert_matches(body, expected)


@pytest.mark.process
def test_dead_letter_queue_message(env):
    cloud, lam, sqs = env
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function(lam, "dl", FAILS, DeadLetterConfig={"TargetArn": arn})
    lam.put_function_event_invoke_config(FunctionName="dl", MaximumRetryAttempts=0)
    lam.invoke(FunctionName="dl", InvocationType="Event", Payload=b'{"raise_error": 1}')
    cloud.clock.advance(1)
    msg = receive_body(sqs, url)[0]
    assert json.loads(msg["Body"]) == {"raise_error": 1}
    attrs = msg["MessageAttributes"]
    assert attrs["ErrorCode"] == {"DataType": "Number", "StringValue": "200"}
    assert attrs["ErrorMessage"]["StringValue"] == "Test exception (this is intentional)"
    assert attrs["RequestID"]["DataType"] == "String"


def test_event_invoke_config_validation_messages(env):
    cloud, lam, sqs = env
    rec = load_case("event_invoke_config_validation")
    make_function(lam, "cfg", FAILS)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.put_function_event_invoke_config(FunctionName="doesnotexist")
    assert_matches(e.value.response, rec["put_functionname_nootherargs"])
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.put_function_event_invoke_config(FunctionName="doesnotexist", MaximumRetryAttempts=1)
    assert_matches(e.value.response, rec["put_functionname_name_notfound"])
    own = lam.get_function(FunctionName="cfg")["Configuration"]["FunctionArn"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.put_function_event_invoke_config(FunctionName="cfg", DestinationConfig={"OnSuccess": {"Destination": own}})
    assert_matches(e.value.response, rec["put_destination_recursive"])
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function_event_invoke_config(FunctionName="doesnotexist")
    assert_matches(e.value.response, rec["get_function_doesnotexist"])


@pytest.mark.process
def test_sqs_mapping_partial_batch_failures_end_in_dlq():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=5) as cloud:
        lam, sqs = cloud.client("lambda"), cloud.client("sqs")
        dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        src = sqs.create_queue(QueueName="work", Attributes={
            "VisibilityTimeout": "30", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})["QueueUrl"]
        src_arn = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        handler = '''
import json
def handler(event, context):
    failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if json.loads(r["body"])["n"] % 2]
    return {"batchItemFailures": failures}
'''
        make_function(lam, "worker", handler)
        m = lam.create_event_source_mapping(EventSourceArn=src_arn, FunctionName="worker", BatchSize=10,
                                            FunctionResponseTypes=["ReportBatchItemFailures"])
        assert m["State"] == "Creating" and m["ResponseMetadata"]["HTTPStatusCode"] == 202
        for n in range(6):
            sqs.send_message(QueueUrl=src, MessageBody=json.dumps({"n": n}))
        cloud.clock.advance(300)
        dead = [json.loads(x["Body"])["n"] for x in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]]
        assert sorted(dead) == [1, 3, 5], "odd messages fail twice, then SQS moves them to the dead-letter queue"
        attrs = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["All"])["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_mapping_batch_size_rules(env):
    cloud, lam, sqs = env
    rec = load_case("sqs_mapping_batch_size_rules")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function(lam, "w", FAILS)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="w", BatchSize=11)
    assert_matches(e.value.response, rec["invalid-create-event-source-mapping"])
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_event_source_mapping(EventSourceArn=arn.replace(":q", ":nope"), FunctionName="w")


def test_async_payload_over_1_mb_is_rejected(env):
    cloud, lam, sqs = env
    make_function(lam, "big", FAILS)
    with pytest.raises(Exception) as e:
        lam.invoke(FunctionName="big", InvocationType="Event", Payload=b'"' + b"a" * 1_048_600 + b'"')
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "too large for the Event invocation type" in e.value.response["Error"]["Message"]


@pytest.mark.process
def test_nothing_is_lost_silently():
    """Thousands of events with seeded random failures: every accepted event ends exactly once."""
    rng = random.Random(11)
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=11) as cloud:
        lam, sqs = cloud.client("lambda"), cloud.client("sqs")
        url = sqs.create_queue(QueueName="fail")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        make_function(lam, "dest", FAILS)
        make_function(lam, "nodest", FAILS)
        make_function(lam, "dlqfn", FAILS, DeadLetterConfig={"TargetArn": arn})
        lam.put_function_event_invoke_config(FunctionName="dest", MaximumRetryAttempts=1,
                                             DestinationConfig={"OnFailure": {"Destination": arn}})
        lam.put_function_event_invoke_config(FunctionName="nodest", MaximumRetryAttempts=0)
        lam.put_function_event_invoke_config(FunctionName="dlqfn", MaximumRetryAttempts=2)
        sent = 0
        for i in range(1500):
            name = rng.choice(["dest", "nodest", "dlqfn"])
            fail = rng.random() < 0.3
            lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"raise_error": fail, "i": i}).encode())
            sent += 1
            if i % 100 == 0:
                cloud.clock.advance(1)
        cloud.clock.advance(3600)
        accepted = {r.request_id for r in steps(cloud, "accepted")}
        terminal = [r for r in cloud.records.events if getattr(r, "step", None) in ("success", "destination", "dead-letter", "dropped")]
        ends = {}
        for r in terminal:
            ends[r.request_id] = ends.get(r.request_id, 0) + 1
        assert len(accepted) == sent
        assert set(ends) == accepted and set(ends.values()) == {1}, "each event ends exactly once"
        queued = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"])
        assert queued == len(steps(cloud, "destination")) + len(steps(cloud, "dead-letter"))
        assert len(steps(cloud, "dropped")) > 0 and len(steps(cloud, "success")) > 0


RECORDER = '''
import json
def handler(event, context):
    print(json.dumps(event))
    return {"records": len(event.get("Records", [])) if isinstance(event, dict) else 0}
'''


@pytest.mark.process
def test_s3_upload_invokes_function_with_aws_event(env):
    cloud, lam, sqs = env
    s3 = cloud.client("s3")
    fn = make_function(lam, "on-upload", RECORDER)
    s3.create_bucket(Bucket="photos")
    s3.put_bucket_notification_configuration(Bucket="photos", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": fn["FunctionArn"], "Events": ["s3:ObjectCreated:*"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpg"}]}}}]})
    s3.put_object(Bucket="photos", Key="cat.jpg", Body=b"meow")
    s3.put_object(Bucket="photos", Key="notes.txt", Body=b"skip me")
    cloud.clock.advance(1)
    runs = [r for r in cloud.invocations if r.function_name == "on-upload"]
    assert len(runs) == 1 and runs[0].trigger == "async", "only the .jpg matches the suffix filter"
    event = json.loads(next(l for l in cloud.log_lines("on-upload") if l.startswith('{"Records"')))
    record = event["Records"][0]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == "photos" and record["s3"]["object"]["key"] == "cat.jpg"
    assert record["s3"]["object"]["size"] == 4


@pytest.mark.process
def test_sns_fans_out_to_function_and_queue(env):
    cloud, lam, sqs = env
    sns = cloud.client("sns")
    fn = make_function(lam, "subscriber", RECORDER)
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url = sqs.create_queue(QueueName="audit")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn["FunctionArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    sns.publish(TopicArn=topic, Message="order 42", Subject="new")
    cloud.clock.advance(1)
    event = json.loads(next(l for l in cloud.log_lines("subscriber") if l.startswith('{"Records"')))
    assert event["Records"][0]["Sns"]["Message"] == "order 42" and event["Records"][0]["EventSource"] == "aws:sns"
    body = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert body["Message"] == "order 42" and body["Type"] == "Notification"


@pytest.mark.process
def test_schedule_fires_on_the_virtual_clock(env):
    cloud, lam, sqs = env
    events = cloud.client("events")
    fn = make_function(lam, "tick", RECORDER)
    rule = events.put_rule(Name="every-5", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    events.put_targets(Rule="every-5", Targets=[{"Id": "1", "Arn": fn["FunctionArn"]}])
    cloud.clock.advance(3600)
    runs = [r for r in cloud.invocations if r.function_name == "tick"]
    assert len(runs) == 12, "rate(5 minutes) fires 12 times an hour"
    first = json.loads(next(l for l in cloud.log_lines("tick") if l.startswith("{")))
    assert first["detail-type"] == "Scheduled Event" and first["resources"] == [rule]
    with pytest.raises(events.exceptions.ClientError if hasattr(events.exceptions, "ClientError") else Exception) as e:
        events.put_rule(Name="bad", ScheduleExpression="rate(5 minute)")
    assert e.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.process
def test_standard_s3_trigger_handler_reads_object_with_plain_boto3(env):
    cloud, lam, sqs = env
    s3 = cloud.client("s3")
    handler = '''
import boto3, urllib.parse
s3 = boto3.client("s3")
def handler(event, context):
    record = event["Records"][0]["s3"]
    key = urllib.parse.unquote_plus(record["object"]["key"])
    body = s3.get_object(Bucket=record["bucket"]["name"], Key=key)["Body"].read().decode()
    s3.put_object(Bucket=record["bucket"]["name"], Key="out/" + key, Body=body.upper())
    return body
'''
    fn = make_function(lam, "thumbnail", handler, Timeout=30)
    s3.create_bucket(Bucket="uploads")
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": fn["FunctionArn"], "Events": ["s3:ObjectCreated:Put"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]})
    s3.put_object(Bucket="uploads", Key="in/hello world.txt", Body=b"hello")
    cloud.clock.advance(1)
    assert [r.outcome.value for r in cloud.invocations if r.function_name == "thumbnail"] == ["success"]
    out = s3.get_object(Bucket="uploads", Key="out/in/hello world.txt")["Body"].read()
    assert out == b"HELLO", "the handler's own boto3 calls reach this Cloud's S3, never real AWS"


@pytest.mark.process
def test_failure_destination_can_be_another_function(env):
    cloud, lam, sqs = env
    make_function(lam, "flaky", FAILS)
    target = make_function(lam, "on-failure", RECORDER)
    lam.put_function_event_invoke_config(FunctionName="flaky", MaximumRetryAttempts=0,
                                         DestinationConfig={"OnFailure": {"Destination": target["FunctionArn"]}})
    lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"raise_error": 1}')
    cloud.clock.advance(5)
    received = [json.loads(l) for l in cloud.log_lines("on-failure") if l.startswith('{"version"')]
    assert len(received) == 1 and received[0]["requestContext"]["condition"] == "RetriesExhausted"


@pytest.mark.process
def test_sqs_pollers_start_with_five_concurrent_batches_and_ramp_up():
    """AWS's SQS scaling: 5 concurrent batches at first, then up to 300 more per minute."""
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=9) as cloud:
        lam, sqs = cloud.client("lambda"), cloud.client("sqs")
        url = sqs.create_queue(QueueName="burst", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        make_function(lam, "slow", RECORDER, Timeout=60)
        cloud.declare_duration("slow", 30.0, cpu_bound=0.0)
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="slow", BatchSize=1)
        for start in range(0, 100, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(start, start + 10)])
        cloud.clock.advance(1)
        first_second = [r for r in cloud.invocations if r.function_name == "slow"]
        assert len(first_second) == 5, "the poller starts with 5 concurrent batches"
        cloud.clock.advance(59)
        assert len([r for r in cloud.invocations if r.function_name == "slow"]) > 50
        cloud.clock.advance(600)
        ran = [r for r in cloud.invocations if r.function_name == "slow" and r.outcome.value == "success"]
        # Beyond Cloud(max_environments=64) batches are throttled and polled again, never lost.
        assert len(ran) == 100 and len({r.request_id for r in ran}) == 100


class _Watched(list):
    """``cloud.records.events`` that sets an event when a record with *step* arrives (a barrier)."""

    def __init__(self, step):
        super().__init__()
        self.step = step
        self.reached = threading.Event()

    def append(self, record):
        super().append(record)
        if record.step == self.step:
            self.reached.set()


@pytest.mark.process
def test_async_invoke_runs_in_the_background_on_the_wall_clock(cloud):
    """On the wall clock, Event invokes answer 202 at once and run on their own threads."""
    lam = cloud.client("lambda")
    make_function(lam, "bg", FAILS)
    cloud.records.events = watched = _Watched("success")
    assert lam.invoke(FunctionName="bg", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    assert watched.reached.wait(60), "the event never succeeded"
    assert [r.trigger for r in cloud.invocations] == ["async"]


def _drops(cloud):
    return [r for r in cloud.records.events if r.step == "dropped"]


def test_undeliverable_eventbridge_and_sns_targets_are_recorded_as_drops(vcloud):
    """Nothing vanishes: a target queue or function that does not exist, or a service minilambda
    does not deliver to, leaves a ``dropped`` record naming the target and the reason."""
    events, sns = vcloud.client("events"), vcloud.client("sns")
    missing_queue = "arn:aws:sqs:us-east-1:123456789012:gone"
    missing_function = "arn:aws:lambda:us-east-1:123456789012:function:gone"
    kinesis = "arn:aws:kinesis:us-east-1:123456789012:stream/s"
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": missing_queue}, {"Id": "f", "Arn": missing_function},
                                          {"Id": "k", "Arn": kinesis}])
    events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": "{}"}])
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=missing_queue)
    sns.publish(TopicArn=topic, Message="m")
    dropped = [(r.target, r.detail) for r in _drops(vcloud)]
    assert [t for t, _ in dropped] == [missing_queue, missing_function, kinesis, missing_queue]
    assert all(detail for _, detail in dropped)
    assert dropped[0][1] == "events: SQS refused the message: The specified queue does not exist."
    assert "Function not found" in dropped[1][1] and "unsupported" in dropped[2][1]


def test_s3_notification_to_a_deleted_function_is_a_drop(vcloud):
    s3 = vcloud.client("s3")
    s3.create_bucket(Bucket="photos")
    target = "arn:aws:lambda:us-east-1:123456789012:function:gone"
    s3.put_bucket_notification_configuration(Bucket="photos", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": target, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="photos", Key="k", Body=b"x")
    assert [r.target for r in _drops(vcloud)] == [target]
