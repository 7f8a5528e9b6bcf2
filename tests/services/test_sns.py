"""SNS through a real botocore client (query protocol), fan-out to SQS and Lambda."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from minilambda.services.sns import SnsBackend as SnsService
from minilambda.services.sqs import SqsBackend as SqsService

from .conftest import make_client

FN = "arn:aws:lambda:us-east-1:123456789012:function:on-topic"


@pytest.fixture
def sqs_svc(clock, rng):
    return SqsService(clock, rng=rng)


@pytest.fixture
def svc(clock, rng, notified, sqs_svc):
    return SnsService(clock, "us-east-1", "123456789012", rng, notify=notified, sqs=sqs_svc)


@pytest.fixture
def sns(svc):
    return make_client("sns", svc)


@pytest.fixture
def sqs(sqs_svc):
    return make_client("sqs", sqs_svc)


def test_topics(sns):
    arn = sns.create_topic(Name="alerts")["TopicArn"]
    assert arn == "arn:aws:sns:us-east-1:123456789012:alerts"
    assert sns.create_topic(Name="alerts")["TopicArn"] == arn
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [arn]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn and attrs["Owner"] == "123456789012"
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Alerts")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "Alerts"
    sns.delete_topic(TopicArn=arn)
    assert sns.list_topics()["Topics"] == []


def test_errors(sns):
    missing = "arn:aws:sns:us-east-1:123456789012:missing"
    with pytest.raises(sns.exceptions.NotFoundException) as exc:
        sns.publish(TopicArn=missing, Message="x")
    err = exc.value.response["Error"]
    assert err == {"Type": "Sender", "Code": "NotFound", "Message": "Topic does not exist"}
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.subscribe(TopicArn=missing, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:q")
    arn = sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException) as exc:
        sns.subscribe(TopicArn=arn, Protocol="carrier-pigeon", Endpoint="x")
    assert exc.value.response["Error"]["Message"] == \
        "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.publish(TopicArn=arn, Message="x" * 262_145)
    with pytest.raises(ClientError):
        sns.unsubscribe(SubscriptionArn=arn + ":nope")


def test_subscriptions(sns, sqs, sqs_svc):
    arn = sns.create_topic(Name="t")["TopicArn"]
    sqs.create_queue(QueueName="q")
    q_arn = sqs_svc.queue_arn("q")
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=q_arn, ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    lam = sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=FN)["SubscriptionArn"]
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"], s["SubscriptionArn"]) for s in listed] == [
        ("sqs", q_arn, sub), ("lambda", FN, lam)]
    assert listed[0]["Owner"] == "123456789012" and listed[0]["TopicArn"] == arn
    assert len(sns.list_subscriptions()["Subscriptions"]) == 2
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"] == "true"
    sns.unsubscribe(SubscriptionArn=lam)
    assert len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]) == 1


def test_publish_fans_out_to_sqs_envelope_and_lambda_event(sns, sqs, sqs_svc, notified):
    arn = sns.create_topic(Name="orders")["TopicArn"]
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=sqs_svc.queue_arn("q"))["SubscriptionArn"]
    lam_sub = sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=FN)["SubscriptionArn"]
    mid = sns.publish(TopicArn=arn, Message="Hello from SNS!", Subject="TestInvoke",
                      MessageAttributes={"Test": {"DataType": "String", "StringValue": "TestString"}})["MessageId"]
    body = sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]
    env = json.loads(body)
    assert list(env) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                         "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]
    assert env["Type"] == "Notification" and env["MessageId"] == mid and env["TopicArn"] == arn
    assert env["Message"] == "Hello from SNS!" and env["Subject"] == "TestInvoke"
    assert env["MessageAttributes"] == {"Test": {"Type": "String", "Value": "TestString"}}
    assert sub in env["UnsubscribeURL"]
    assert body.startswith('{\n  "Type" : "Notification",')  # AWS's pretty-printed envelope
    [(target, event)] = notified.calls
    assert target == FN
    rec = event["Records"][0]
    assert list(rec) == ["EventVersion", "EventSubscriptionArn", "EventSource", "Sns"]
    assert rec["EventSubscriptionArn"] == lam_sub and rec["EventSource"] == "aws:sns"
    s = rec["Sns"]
    assert list(s) == ["SignatureVersion", "Timestamp", "Signature", "SigningCertUrl", "MessageId", "Message",
                       "MessageAttributes", "Type", "UnsubscribeUrl", "TopicArn", "Subject"]
    assert s["MessageId"] == mid and s["Subject"] == "TestInvoke" and s["TopicArn"] == arn
    assert s["MessageAttributes"] == {"Test": {"Type": "String", "Value": "TestString"}}


def test_raw_delivery_and_no_subject(sns, sqs, sqs_svc, notified):
    arn = sns.create_topic(Name="t")["TopicArn"]
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=sqs_svc.queue_arn("q"),
                  Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=FN)
    sns.publish(TopicArn=arn, Message='{"raw": true}',
                MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    m = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert m["Body"] == '{"raw": true}'
    assert m["MessageAttributes"] == {"k": {"StringValue": "v", "DataType": "String"}}
    assert notified.calls[0][1]["Records"][0]["Sns"]["Subject"] is None


def test_filter_policy(sns, notified):
    arn = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=FN,
                  Attributes={"FilterPolicy": json.dumps({"color": ["red"], "size": [{"numeric": [">", 5]}]})})
    def pub(color, size):
        sns.publish(TopicArn=arn, Message="m", MessageAttributes={
            "color": {"DataType": "String", "StringValue": color},
            "size": {"DataType": "Number", "StringValue": str(size)}})
    pub("blue", 10)
    pub("red", 1)
    pub("red", 10)
    assert len(notified.calls) == 1


def test_message_structure_json(sns, sqs, sqs_svc, notified):
    arn = sns.create_topic(Name="t")["TopicArn"]
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=sqs_svc.queue_arn("q"))
    sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=FN)
    sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "d", "lambda": "for lambda"}))
    assert json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])["Message"] == "d"
    assert notified.calls[0][1]["Records"][0]["Sns"]["Message"] == "for lambda"


def test_publish_raw_python_api(svc, notified):
    arn = svc.create("dest")
    svc.Subscribe({"TopicArn": arn, "Protocol": "lambda", "Endpoint": FN})
    mid = svc.publish_raw(arn, '{"x": 1}', subject="S")
    assert notified.calls[0][1]["Records"][0]["Sns"]["MessageId"] == mid
