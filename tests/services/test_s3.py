"""S3 through a real botocore client (path-style), with notifications."""

from __future__ import annotations

import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from minilambda.services.s3 import S3Backend as S3Service
from minilambda.services.sqs import SqsBackend as SqsService

from .conftest import START, make_client

FN = "arn:aws:lambda:us-east-1:123456789012:function:thumbs"


@pytest.fixture
def svc(clock, rng, notified):
    return S3Service(clock, "us-east-1", "123456789012", rng, notify=notified)


@pytest.fixture
def s3(svc):
    return make_client("s3", svc)


def test_buckets(s3):
    s3.create_bucket(Bucket="alpha")
    s3.create_bucket(Bucket="beta")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["alpha", "beta"]
    s3.head_bucket(Bucket="alpha")
    s3.delete_bucket(Bucket="beta")
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket="beta")
    assert exc.value.response["Error"]["Code"] == "404"
    with pytest.raises(s3.exceptions.NoSuchBucket) as exc:
        s3.list_objects_v2(Bucket="beta")
    err = exc.value.response["Error"]
    assert err == {"Code": "NoSuchBucket", "Message": "The specified bucket does not exist", "BucketName": "beta"}
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_bucket_not_empty_and_invalid_name(s3):
    s3.create_bucket(Bucket="bkt1")
    s3.put_object(Bucket="bkt1", Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket="bkt1")
    assert exc.value.response["Error"]["Code"] == "BucketNotEmpty"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket="Bad_Name")
    assert exc.value.response["Error"]["Code"] == "InvalidBucketName"


def test_put_get_head_delete_object(s3, clock):
    s3.create_bucket(Bucket="bkt1")
    body = b"hello world"
    put = s3.put_object(Bucket="bkt1", Key="dir/a b.txt", Body=body, ContentType="text/plain",
                        Metadata={"owner": "ann"})
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ETag"] == etag
    got = s3.get_object(Bucket="bkt1", Key="dir/a b.txt")
    assert got["Body"].read() == body
    assert got["ContentLength"] == len(body)
    assert got["ContentType"] == "text/plain"
    assert got["ETag"] == etag
    assert got["Metadata"] == {"owner": "ann"}
    assert got["LastModified"].timestamp() == int(START)
    head = s3.head_object(Bucket="bkt1", Key="dir/a b.txt")
    assert head["ETag"] == etag and head["ContentType"] == "text/plain"
    assert head["ContentLength"] == len(body)
    part = s3.get_object(Bucket="bkt1", Key="dir/a b.txt", Range="bytes=0-4")
    assert part["Body"].read() == b"hello" and part["ContentRange"] == "bytes 0-4/11"
    s3.delete_object(Bucket="bkt1", Key="dir/a b.txt")
    with pytest.raises(s3.exceptions.NoSuchKey) as exc:
        s3.get_object(Bucket="bkt1", Key="dir/a b.txt")
    assert exc.value.response["Error"]["Key"] == "dir/a b.txt"
    assert exc.value.response["Error"]["Message"] == "The specified key does not exist."
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket="bkt1", Key="dir/a b.txt")
    assert exc.value.response["Error"]["Code"] == "404"


def test_streaming_upload(s3, tmp_path):
    s3.create_bucket(Bucket="bkt1")
    f = tmp_path / "data.bin"
    f.write_bytes(b"0123456789" * 1000)
    with open(f, "rb") as fh:
        s3.put_object(Bucket="bkt1", Key="file", Body=fh)
    assert s3.get_object(Bucket="bkt1", Key="file")["Body"].read() == b"0123456789" * 1000
    s3.upload_file(str(f), "bkt1", "uploaded")
    assert s3.get_object(Bucket="bkt1", Key="uploaded")["ContentLength"] == 10000


def test_copy_object(s3):
    s3.create_bucket(Bucket="bkt1")
    s3.put_object(Bucket="bkt1", Key="src", Body=b"data", Metadata={"m": "1"})
    out = s3.copy_object(Bucket="bkt1", Key="dst", CopySource={"Bucket": "bkt1", "Key": "src"})
    assert out["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"data").hexdigest()}"'
    got = s3.get_object(Bucket="bkt1", Key="dst")
    assert got["Body"].read() == b"data" and got["Metadata"] == {"m": "1"}


def test_list_objects_v2(s3):
    s3.create_bucket(Bucket="bkt1")
    for k in ["a.txt", "photos/2024/1.jpg", "photos/2024/2.jpg", "photos/2025/1.jpg", "photos/x.jpg",
              "z+plus sign.txt"]:
        s3.put_object(Bucket="bkt1", Key=k, Body=b"x")
    out = s3.list_objects_v2(Bucket="bkt1")
    assert out["KeyCount"] == 6 and not out["IsTruncated"]
    assert [o["Key"] for o in out["Contents"]][-1] == "z+plus sign.txt"
    assert out["Contents"][0]["Size"] == 1 and out["Contents"][0]["StorageClass"] == "STANDARD"
    out = s3.list_objects_v2(Bucket="bkt1", Prefix="photos/", Delimiter="/")
    assert [o["Key"] for o in out["Contents"]] == ["photos/x.jpg"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    assert out["KeyCount"] == 3
    # pagination
    page1 = s3.list_objects_v2(Bucket="bkt1", MaxKeys=2)
    assert page1["IsTruncated"] and page1["KeyCount"] == 2
    page2 = s3.list_objects_v2(Bucket="bkt1", MaxKeys=10, ContinuationToken=page1["NextContinuationToken"])
    assert [o["Key"] for o in page1["Contents"] + page2["Contents"]] == sorted(
        o["Key"] for o in s3.list_objects_v2(Bucket="bkt1")["Contents"])
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="bkt1", Delimiter="/", PaginationConfig={"PageSize": 1})
    seen = []
    for page in pages:
        seen += [o["Key"] for o in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert seen == ["a.txt", "photos/", "z+plus sign.txt"]


def test_notification_configuration_roundtrip(s3):
    s3.create_bucket(Bucket="bkt1")
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket="bkt1")
    config = {"LambdaFunctionConfigurations": [{
        "Id": "thumbs", "LambdaFunctionArn": FN, "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                           {"Name": "suffix", "Value": ".jpg"}]}}}]}
    s3.put_bucket_notification_configuration(Bucket="bkt1", NotificationConfiguration=config)
    got = s3.get_bucket_notification_configuration(Bucket="bkt1")["LambdaFunctionConfigurations"]
    assert got == [{"Id": "thumbs", "LambdaFunctionArn": FN, "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"},
                                                       {"Name": "Suffix", "Value": ".jpg"}]}}}]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket="bkt1", NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": FN, "Events": ["s3:Nope"]}]})
    assert exc.value.response["Error"]["Code"] == "InvalidArgument"


def test_notifications_with_filters(s3, notified, clock):
    s3.create_bucket(Bucket="bkt1")
    s3.put_bucket_notification_configuration(Bucket="bkt1", NotificationConfiguration={
        "LambdaFunctionConfigurations": [
            {"Id": "created", "LambdaFunctionArn": FN, "Events": ["s3:ObjectCreated:Put"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                                {"Name": "suffix", "Value": ".jpg"}]}}},
            {"Id": "removed", "LambdaFunctionArn": FN + "-rm", "Events": ["s3:ObjectRemoved:*"]},
        ]})
    s3.put_object(Bucket="bkt1", Key="in/my cat.jpg", Body=b"12345")
    s3.put_object(Bucket="bkt1", Key="in/notes.txt", Body=b"no")      # suffix does not match
    s3.put_object(Bucket="bkt1", Key="out/x.jpg", Body=b"no")         # prefix does not match
    clock.advance(1)
    s3.put_object(Bucket="bkt1", Key="in/b.jpg", Body=b"")
    s3.delete_object(Bucket="bkt1", Key="in/b.jpg")
    s3.delete_object(Bucket="bkt1", Key="never-existed")
    assert [a for a, _ in notified.calls] == [FN, FN, FN + "-rm"]
    rec = notified.calls[0][1]["Records"][0]
    assert list(rec) == ["eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "userIdentity",
                         "requestParameters", "responseElements", "s3"]
    assert rec["eventName"] == "ObjectCreated:Put" and rec["eventSource"] == "aws:s3"
    assert rec["eventTime"] == "2023-11-14T22:13:20.000Z"
    assert rec["s3"]["configurationId"] == "created"
    assert rec["s3"]["bucket"]["name"] == "bkt1" and rec["s3"]["bucket"]["arn"] == "arn:aws:s3:::bkt1"
    obj = rec["s3"]["object"]
    assert obj["key"] == "in/my+cat.jpg" and obj["size"] == 5
    assert obj["eTag"] == hashlib.md5(b"12345").hexdigest()
    seqs = [c[1]["Records"][0]["s3"]["object"]["sequencer"] for c in notified.calls]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    removed = notified.calls[2][1]["Records"][0]
    assert removed["eventName"] == "ObjectRemoved:Delete"
    assert set(removed["s3"]["object"]) == {"key", "sequencer"}


def test_queue_notifications_go_to_sqs(clock, rng):
    sqs_svc = SqsService(clock, rng=rng)
    s3_svc = S3Service(clock, rng=rng, sqs=sqs_svc)
    s3, sqs = make_client("s3", s3_svc), make_client("sqs", sqs_svc)
    url = sqs.create_queue(QueueName="uploads")["QueueUrl"]
    s3.create_bucket(Bucket="bkt1")
    s3.put_bucket_notification_configuration(Bucket="bkt1", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": sqs_svc.queue_arn("uploads"), "Events": ["s3:ObjectCreated:*"]}]})
    assert s3.get_bucket_notification_configuration(Bucket="bkt1")["QueueConfigurations"][0]["QueueArn"].endswith(":uploads")
    s3.copy_object(Bucket="bkt1", Key="c", CopySource="bkt1/none") if False else None
    s3.put_object(Bucket="bkt1", Key="k", Body=b"x")
    body = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert body["Records"][0]["eventName"] == "ObjectCreated:Put"


def test_list_objects_v1_delete_objects_and_location(s3, notified):
    s3.create_bucket(Bucket="bkt1")
    for k in ("a", "b", "c"):
        s3.put_object(Bucket="bkt1", Key=k, Body=b"x")
    out = s3.list_objects(Bucket="bkt1", MaxKeys=2)
    assert [o["Key"] for o in out["Contents"]] == ["a", "b"] and out["IsTruncated"]
    assert [o["Key"] for o in s3.list_objects(Bucket="bkt1", Marker="b")["Contents"]] == ["c"]
    res = s3.delete_objects(Bucket="bkt1", Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]})
    assert sorted(d["Key"] for d in res["Deleted"]) == ["a", "b"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="bkt1")["Contents"]] == ["c"]
    assert s3.get_bucket_location(Bucket="bkt1")["LocationConstraint"] is None
