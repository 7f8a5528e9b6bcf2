"""SQS through a real botocore client, on a virtual clock."""

from __future__ import annotations

import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from minilambda.services.sqs import MAX_MESSAGE_BYTES, SqsBackend as SqsService

from .conftest import START, make_client


@pytest.fixture
def svc(clock, rng):
    return SqsService(clock, "us-east-1", "123456789012", rng)


@pytest.fixture
def sqs(svc):
    return make_client("sqs", svc)


def test_create_get_list_delete_queue(sqs):
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert url == "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
    assert sqs.create_queue(QueueName="orders")["QueueUrl"] == url  # idempotent
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url
    sqs.create_queue(QueueName="other")
    assert sqs.list_queues()["QueueUrls"] == [url, url.replace("orders", "other")]
    assert sqs.list_queues(QueueNamePrefix="oth")["QueueUrls"] == [url.replace("orders", "other")]
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as exc:
        sqs.get_queue_url(QueueName="orders")
    err = exc.value.response["Error"]
    assert err["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert err["QueryErrorCode"] == "QueueDoesNotExist"
    assert err["Type"] == "Sender"
    assert err["Message"] == "The specified queue does not exist."
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_create_queue_conflicting_attributes(sqs):
    sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "10"})
    with pytest.raises(sqs.exceptions.QueueNameExists):
        sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "20"})


def test_attributes(sqs, clock):
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "45", "DelaySeconds": "0"})["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:q"
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["MaximumMessageSize"] == str(MAX_MESSAGE_BYTES)
    assert attrs["CreatedTimestamp"] == str(int(START))
    assert attrs["ApproximateNumberOfMessages"] == "0"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5"})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert got["Attributes"] == {"VisibilityTimeout": "5"}
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99999"})
    assert exc.value.response["Error"]["Code"] == "InvalidAttributeValue"
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Nope": "1"})


def test_send_receive_delete(sqs, clock):
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes={
        "City": {"DataType": "String", "StringValue": "Any City"},
        "Pop": {"DataType": "Number", "StringValue": "1250800"}})
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    assert len(sent["MD5OfMessageAttributes"]) == 32
    clock.advance(2)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                              MessageSystemAttributeNames=["All"])["Messages"]
    assert len(got) == 1
    m = got[0]
    assert m["MessageId"] == sent["MessageId"] and m["Body"] == "hello"
    assert m["MessageAttributes"]["City"] == {"StringValue": "Any City", "DataType": "String"}
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    a = m["Attributes"]
    assert a["ApproximateReceiveCount"] == "1"
    assert a["SentTimestamp"] == str(int(START * 1000))
    assert a["ApproximateFirstReceiveTimestamp"] == str(int((START + 2) * 1000))
    assert "SenderId" in a
    # hidden while in flight
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    clock.advance(60)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_md5_of_message_attributes_known_value(sqs):
    # The algorithm from the SQS developer guide, checked against an independent encoding.
    import struct

    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody="x",
                            MessageAttributes={"b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                                               "a": {"DataType": "String", "StringValue": "v"}})

    def enc(s: bytes) -> bytes:
        return struct.pack(">I", len(s)) + s

    raw = enc(b"a") + enc(b"String") + b"\x01" + enc(b"v") + enc(b"b") + enc(b"Binary") + b"\x02" + enc(b"\x00\x01")
    assert sent["MD5OfMessageAttributes"] == hashlib.md5(raw).hexdigest()


def test_visibility_timeout_on_virtual_clock(sqs, clock):
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    clock.advance(29.9)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    clock.advance(0.1)
    again = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert again["MessageId"] == first["MessageId"]
    assert again["ReceiptHandle"] != first["ReceiptHandle"]
    assert again["Attributes"] == {"ApproximateReceiveCount": "2"}
    # per-receive visibility timeout and change_message_visibility
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url, VisibilityTimeout=5)["Messages"][0]
    clock.advance(5)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["MessageId"] == third["MessageId"]


def test_change_visibility_not_inflight(sqs, clock):
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    h = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    clock.advance(2)
    with pytest.raises(sqs.exceptions.MessageNotInflight):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=h, VisibilityTimeout=10)


def test_delay_seconds(sqs, clock):
    url = sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "10"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["no-delay"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    clock.advance(10)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["queue-delay"]


def test_retention_period(sqs, clock):
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    clock.advance(60)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_redrive_to_dead_letter_queue(sqs, svc, clock):
    dlq_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url = sqs.create_queue(QueueName="src", Attributes={"VisibilityTimeout": "10", "RedrivePolicy": policy})["QueueUrl"]
    assert json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
                      ["Attributes"]["RedrivePolicy"]) == json.loads(policy)
    mid = sqs.send_message(QueueUrl=url, MessageBody="poison")["MessageId"]
    for count in (1, 2):
        got = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
        assert got["Attributes"]["ApproximateReceiveCount"] == str(count)
        clock.advance(10)
    # the third receive would exceed maxReceiveCount=2: the message moves instead
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    moved = sqs.receive_message(QueueUrl=dlq_url, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert moved["MessageId"] == mid and moved["Body"] == "poison"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"].endswith(":src")
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq_url)["queueUrls"] == [url]


def test_redrive_policy_needs_existing_dlq(sqs):
    policy = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:missing",
                         "maxReceiveCount": 3})
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="q", Attributes={"RedrivePolicy": policy})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "Dead letter target does not exist" in exc.value.response["Error"]["Message"]


def test_batches(sqs, clock):
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    out = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(3)])
    assert [e["Id"] for e in out["Successful"]] == ["m0", "m1", "m2"]
    assert out.get("Failed", []) == []
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in msgs) == ["b0", "b1", "b2"]
    entries = [{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]
    entries.append({"Id": "bad", "ReceiptHandle": "not-a-handle"})
    res = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    assert [e["Id"] for e in res["Successful"]] == ["d0", "d1", "d2"]
    assert res["Failed"] == [{"Id": "bad", "SenderFault": True, "Code": "ReceiptHandleIsInvalid",
                              "Message": 'The input receipt handle "not-a-handle" is not a valid receipt handle.'}]
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "1"}, {"Id": "a", "MessageBody": "2"}])
    with pytest.raises(sqs.exceptions.InvalidBatchEntryId):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "no spaces", "MessageBody": "1"}])
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"i{i}", "MessageBody": "x"} for i in range(11)])
    with pytest.raises(sqs.exceptions.EmptyBatchRequest):
        sqs.send_message_batch(QueueUrl=url, Entries=[])


def test_invalid_receipt_handle(sqs):
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")


def test_message_too_large_and_max_number(sqs):
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * MAX_MESSAGE_BYTES)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x" * (MAX_MESSAGE_BYTES + 1))
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "Message must be shorter than 262144 bytes" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_larger_limit_is_configurable(clock, rng):
    """A body of 1,000,000 bytes: refused at the default 256 KiB limit, delivered whole at 1 MiB."""
    body = "x" * 1_000_000
    default = make_client("sqs", SqsService(clock, rng=rng))
    url = default.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        default.send_message(QueueUrl=url, MessageBody=body)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"
    sqs = make_client("sqs", SqsService(clock, rng=rng, max_message_bytes=1_048_576))
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    received = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [m["MessageId"] for m in received] == [sent["MessageId"]] and received[0]["Body"] == body


def test_purge(sqs, clock):
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress):
        sqs.purge_queue(QueueUrl=url)
    clock.advance(60)
    sqs.purge_queue(QueueUrl=url)


def test_unknown_queue_everywhere(sqs):
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/none"
    for call in (lambda: sqs.send_message(QueueUrl=url, MessageBody="x"),
                 lambda: sqs.receive_message(QueueUrl=url),
                 lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
                 lambda: sqs.delete_queue(QueueUrl=url)):
        with pytest.raises(sqs.exceptions.QueueDoesNotExist):
            call()


def test_python_api_for_the_poller(svc, sqs, clock):
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = svc.queue_arn("q")
    assert svc.get_queue_by_arn(arn).url == url
    assert svc.get_queue_by_arn(arn + "x") is None
    seen = []
    unsubscribe = svc.on_message(seen.append)
    svc.send(arn, "one", attributes={"k": {"DataType": "String", "StringValue": "v"}})
    sqs.send_message(QueueUrl=url, MessageBody="two")
    assert seen == [arn, arn]
    unsubscribe()
    batch = svc.receive_batch(arn, 10)
    assert [m.body for m in batch] == ["one", "two"]
    rec = batch[0].to_lambda_record()
    assert list(rec) == ["messageId", "receiptHandle", "body", "attributes", "messageAttributes",
                         "md5OfMessageAttributes", "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"]
    assert rec["messageAttributes"] == {"k": {"stringValue": "v", "stringListValues": [],
                                              "binaryListValues": [], "dataType": "String"}}
    assert batch[1].to_lambda_record()["md5OfMessageAttributes"] is None
    assert svc.next_visible_at(arn) == clock.now() + 30
    assert svc.delete(arn, batch[0].receipt_handle) is True
    assert svc.delete(arn, batch[0].receipt_handle) is False  # already gone
    assert svc.make_visible(arn, batch[1].receipt_handle)
    again = svc.receive_batch(arn, 10)
    assert [m.body for m in again] == ["two"] and again[0].receive_count == 2
