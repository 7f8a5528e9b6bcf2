"""DynamoDB Streams → Lambda mappings: AWS's event shape and batch rules, on the virtual clock."""

from __future__ import annotations

import json
import threading

import pytest
from botocore.exceptions import ClientError

from minilambda import Cloud, zip_files

pytestmark = pytest.mark.process
ROLE = "arn:aws:iam::123456789012:role/r"

HANDLER = '''
import json
def handler(event, context):
    print(json.dumps(event))
    failed = []
    for r in event["Records"]:
        image = r["dynamodb"].get("NewImage", {})
        mode = image.get("mode", {}).get("S")
        if mode == "raise":
            raise RuntimeError("bad record " + r["dynamodb"]["SequenceNumber"])
        if mode == "report":
            failed.append({"itemIdentifier": r["dynamodb"]["SequenceNumber"]})
        if mode == "garbage":
            return {"batchItemFailures": [{"itemIdentifier": ""}]}
    return {"batchItemFailures": failed}
'''


def setup(cloud, view="NEW_AND_OLD_IMAGES"):
    ddb, lam = cloud.client("dynamodb"), cloud.client("lambda")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    lam.create_function(FunctionName="f", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                        Code={"ZipFile": zip_files({"app.py": HANDLER})})
    return ddb, lam, ddb.describe_table(TableName="t")["Table"]["LatestStreamArn"]


def batches(cloud):
    """The events the function received, in time order (across its log streams)."""
    logs = cloud.client("logs")
    try:
        events = logs.filter_log_events(logGroupName="/aws/lambda/f")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    events.sort(key=lambda e: e["timestamp"])
    return [json.loads(e["message"]) for e in events if e["message"].startswith('{"Records"')]


def put(ddb, key, **attrs):
    item = {"pk": {"S": key}, **{k: ({"B": v} if isinstance(v, bytes) else {"S": v}) for k, v in attrs.items()}}
    ddb.put_item(TableName="t", Item=item)


def test_event_shape_as_aws_sends_it(vcloud):
    ddb, lam, arn = setup(vcloud)
    lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn, StartingPosition="TRIM_HORIZON")
    vcloud.clock.advance(10)
    put(ddb, "hello world", binary_key=b"foobar")
    ddb.update_item(TableName="t", Key={"pk": {"S": "hello world"}}, UpdateExpression="SET n = :n",
                    ExpressionAttributeValues={":n": {"N": "1"}})
    ddb.delete_item(TableName="t", Key={"pk": {"S": "hello world"}})
    vcloud.clock.advance(1)
    records = [r for b in batches(vcloud) for r in b["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    first = records[0]
    assert list(first) == ["eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
                           "eventSourceARN"]
    assert first["eventVersion"] == "1.1" and first["eventSource"] == "aws:dynamodb"
    assert first["eventSourceARN"] == arn
    assert first["dynamodb"]["NewImage"]["binary_key"] == {"B": "Zm9vYmFy"}
    assert first["dynamodb"]["ApproximateCreationDateTime"] == 1_700_000_010
    assert first["dynamodb"]["SequenceNumber"].isdigit()
    assert "OldImage" not in first["dynamodb"] and "NewImage" not in records[2]["dynamodb"]
    assert records[1]["dynamodb"]["OldImage"]["pk"] == {"S": "hello world"}
    mapping = lam.list_event_source_mappings(FunctionName="f")["EventSourceMappings"][0]
    assert mapping["BatchSize"] == 100 and mapping["MaximumRetryAttempts"] == -1
    assert mapping["LastProcessingResult"] == "OK"


def test_batch_size_window_and_latest(vcloud):
    ddb, lam, arn = setup(vcloud)
    put(ddb, "before")
    lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn, StartingPosition="LATEST",
                                    BatchSize=3, MaximumBatchingWindowInSeconds=10)
    put(ddb, "a")
    put(ddb, "b")
    vcloud.clock.advance(9)
    assert batches(vcloud) == []  # the window is open and the batch is not full
    vcloud.clock.advance(1)
    assert [[r["dynamodb"]["Keys"]["pk"]["S"] for r in b["Records"]] for b in batches(vcloud)] == [["a", "b"]]
    for k in "cdefg":
        put(ddb, k)
    vcloud.clock.advance(0.5)  # a full batch goes at once; the rest waits for its window
    assert [len(b["Records"]) for b in batches(vcloud)] == [2, 3]
    vcloud.clock.advance(10)
    assert [len(b["Records"]) for b in batches(vcloud)] == [2, 3, 2]


def test_retries_exhausted_go_to_the_on_failure_queue_and_the_shard_moves_on(vcloud):
    ddb, lam, arn = setup(vcloud)
    sqs = vcloud.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
                                    MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
    put(ddb, "x", mode="raise")
    vcloud.clock.advance(60)
    put(ddb, "y")
    vcloud.clock.advance(60)
    seen = [[r["dynamodb"]["Keys"]["pk"]["S"] for r in b["Records"]] for b in batches(vcloud)]
    assert seen == [["x"], ["x"], ["x"], ["y"]]  # blocked shard: 1 attempt + 2 retries, then the next record
    body = json.loads(sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"])
    assert list(body) == ["requestContext", "responseContext", "version", "timestamp", "DDBStreamBatchInfo"]
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 3
    assert body["requestContext"]["functionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert body["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    info = body["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == arn and info["shardId"].startswith("shardId-")
    assert info["startSequenceNumber"] == info["endSequenceNumber"]


def test_report_batch_item_failures_checkpoints_at_the_failed_record(vcloud):
    ddb, lam, arn = setup(vcloud)
    lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
                                    BatchSize=10, MaximumRetryAttempts=1,
                                    FunctionResponseTypes=["ReportBatchItemFailures"])
    for key, mode in (("a", "ok"), ("b", "report"), ("c", "ok")):
        put(ddb, key, mode=mode)
    vcloud.clock.advance(30)
    seen = [[r["dynamodb"]["Keys"]["pk"]["S"] for r in b["Records"]] for b in batches(vcloud)]
    assert seen[:2] == [["a", "b", "c"], ["b", "c"]]  # retried from the lowest failed sequence number


def test_invalid_partial_response_fails_the_batch_with_a_null_function_error(vcloud):
    ddb, lam, arn = setup(vcloud)
    sqs = vcloud.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
                                    MaximumRetryAttempts=0, FunctionResponseTypes=["ReportBatchItemFailures"],
                                    DestinationConfig={"OnFailure": {"Destination":
                                                                     "arn:aws:sqs:us-east-1:123456789012:dlq"}})
    put(ddb, "a", mode="garbage")
    vcloud.clock.advance(10)
    body = json.loads(sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"])
    assert body["responseContext"]["functionError"] is None
    assert body["requestContext"]["approximateInvokeCount"] == 1


def test_bisect_on_error_halves_the_batch(vcloud):
    ddb, lam, arn = setup(vcloud)
    lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
                                    BatchSize=4, MaximumRetryAttempts=3, BisectBatchOnFunctionError=True,
                                    MaximumBatchingWindowInSeconds=1)
    for key, mode in (("a", "ok"), ("b", "ok"), ("c", "raise"), ("d", "ok")):
        put(ddb, key, mode=mode)
    vcloud.clock.advance(60)
    sizes = [len(b["Records"]) for b in batches(vcloud)]
    assert sizes[:3] == [4, 2, 2]  # bisected: [a b] succeeds, [c d] fails …
    assert sizes[3] == 1  # … and is halved again to isolate c


def test_mapping_validation(vcloud):
    _, lam, arn = setup(vcloud)
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="startingPosition"):
        lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn)
    with pytest.raises(ClientError, match="maximumRecordAgeInSeconds"):
        lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn, StartingPosition="LATEST",
                                        MaximumRecordAgeInSeconds=10)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_event_source_mapping(FunctionName="nope", EventSourceArn=arn, StartingPosition="LATEST")
    uid = lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn, StartingPosition="LATEST")["UUID"]
    assert lam.update_event_source_mapping(UUID=uid, BatchSize=7)["BatchSize"] == 7
    assert lam.get_event_source_mapping(UUID=uid)["BatchSize"] == 7
    assert lam.delete_event_source_mapping(UUID=uid)["State"] == "Deleting"
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []


def test_wall_clock_delivery():
    with Cloud(seed=2) as cloud:
        ddb, lam, arn = setup(cloud)
        lam.create_event_source_mapping(FunctionName="f", EventSourceArn=arn, StartingPosition="TRIM_HORIZON")
        done = threading.Event()  # the poller runs on its own thread: wait for its batch
        put(ddb, "now")
        for _ in range(200):
            if batches(cloud):
                done.set()
                break
            done.wait(0.05)
        assert done.is_set()
        assert batches(cloud)[0]["Records"][0]["dynamodb"]["Keys"] == {"pk": {"S": "now"}}
