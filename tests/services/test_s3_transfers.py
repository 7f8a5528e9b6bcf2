"""S3 as the AWS CLI, boto3's transfer manager and browsers use it (issue 10 §5)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import subprocess
import sys

import boto3
import botocore.auth
import pytest
import requests
from botocore.config import Config

from minilambda import Cloud

START = 1_700_000_000.0


@pytest.fixture
def cloud():
    with Cloud(clock="virtual", start=START, seed=5) as c:
        c.client("s3").create_bucket(Bucket="bkt")
        yield c


def http_s3(cloud, **config):
    """A plain signed boto3 client on the loopback endpoint (what handlers and `serve` users hold)."""
    return boto3.session.Session().client(
        "s3", endpoint_url=cloud.endpoint_url, region_name="us-east-1", aws_access_key_id="minilambda",
        aws_secret_access_key="minilambda", config=Config(s3={"addressing_style": "path"},
                                                          retries={"total_max_attempts": 1}, **config))


def test_head_object_reports_the_real_content_length(cloud):
    s3 = cloud.client("s3")
    s3.put_object(Bucket="bkt", Key="k", Body=b"hello world")
    assert s3.head_object(Bucket="bkt", Key="k")["ContentLength"] == 11
    assert http_s3(cloud).head_object(Bucket="bkt", Key="k")["ContentLength"] == 11


def test_range_gets(cloud):
    s3 = http_s3(cloud)
    s3.put_object(Bucket="bkt", Key="k", Body=b"0123456789")
    got = s3.get_object(Bucket="bkt", Key="k", Range="bytes=2-4")
    assert got["Body"].read() == b"234" and got["ContentRange"] == "bytes 2-4/10"
    assert s3.get_object(Bucket="bkt", Key="k", Range="bytes=-3")["Body"].read() == b"789"
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.get_object(Bucket="bkt", Key="k", Range="bytes=20-30")
    assert e.value.response["Error"]["Code"] == "InvalidRange"


def test_upload_fileobj_of_9_mb_is_a_multipart_upload(cloud):
    data = os.urandom(9 * 1024 * 1024)
    for client in (cloud.client("s3"), http_s3(cloud)):
        client.upload_fileobj(io.BytesIO(data), "bkt", "big")
        head = client.head_object(Bucket="bkt", Key="big")
        assert head["ContentLength"] == len(data) and head["ETag"].endswith('-2"')
        assert client.get_object(Bucket="bkt", Key="big")["Body"].read() == data
    part_md5s = hashlib.md5(data[:8 * 1024 * 1024]).digest() + hashlib.md5(data[8 * 1024 * 1024:]).digest()
    assert head["ETag"] == f'"{hashlib.md5(part_md5s).hexdigest()}-2"'


def test_multipart_rules_are_aws_rules(cloud):
    s3 = cloud.client("s3")
    up = s3.create_multipart_upload(Bucket="bkt", Key="m")["UploadId"]
    e1 = s3.upload_part(Bucket="bkt", Key="m", UploadId=up, PartNumber=1, Body=b"a" * 10)["ETag"]
    e2 = s3.upload_part(Bucket="bkt", Key="m", UploadId=up, PartNumber=2, Body=b"b")["ETag"]
    assert [p["PartNumber"] for p in s3.list_parts(Bucket="bkt", Key="m", UploadId=up)["Parts"]] == [1, 2]
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.complete_multipart_upload(Bucket="bkt", Key="m", UploadId=up, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert e.value.response["Error"]["Code"] == "EntityTooSmall"
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.complete_multipart_upload(Bucket="bkt", Key="m", UploadId=up, MultipartUpload={"Parts": [
            {"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
    assert e.value.response["Error"]["Code"] == "InvalidPartOrder"
    s3.abort_multipart_upload(Bucket="bkt", Key="m", UploadId=up)
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.upload_part(Bucket="bkt", Key="m", UploadId=up, PartNumber=3, Body=b"c")


@pytest.mark.slow
def test_aws_cli_cp_of_20_mb_uses_multipart(cloud, tmp_path):
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    if not os.path.exists(aws):
        pytest.skip("the AWS CLI is not installed in this environment")
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(20 * 1024 * 1024))
    env = {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": "minilambda", "AWS_SECRET_ACCESS_KEY": "minilambda",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "HOME": str(tmp_path)}
    for args in (["s3", "cp", str(src), "s3://bkt/big.bin"], ["s3", "cp", "s3://bkt/big.bin", str(tmp_path / "back")]):
        out = subprocess.run([aws, "--endpoint-url", cloud.endpoint_url, *args], env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    assert (tmp_path / "back").read_bytes() == src.read_bytes()
    assert cloud.client("s3").head_object(Bucket="bkt", Key="big.bin")["ETag"].endswith('-3"')


@pytest.mark.parametrize("version", ["s3v4", "s3"])  # SigV2 is botocore's default on a custom endpoint
def test_presigned_get_and_put_are_checked_and_expire_on_the_clouds_clock(cloud, monkeypatch, version):
    signed_at = dt.datetime.fromtimestamp(START + 10, dt.timezone.utc).replace(tzinfo=None)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_, **__: signed_at)  # sign on the Cloud's clock
    monkeypatch.setattr(botocore.auth.time, "time", lambda: START + 10)  # SigV2's Expires
    s3 = http_s3(cloud, signature_version=version)
    s3.put_object(Bucket="bkt", Key="k", Body=b"secret")
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"}, ExpiresIn=60)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "bkt", "Key": "up"}, ExpiresIn=60)
    cloud.clock.advance(10)
    assert requests.put(put_url, data=b"uploaded", timeout=10).status_code == 200
    assert cloud.client("s3").get_object(Bucket="bkt", Key="up")["Body"].read() == b"uploaded"
    got = requests.get(get_url, timeout=10)
    assert got.status_code == 200 and got.content == b"secret"
    tampered = requests.get(get_url.replace("/bkt/k", "/bkt/up"), timeout=10)
    assert tampered.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in tampered.content
    cloud.clock.advance(60)
    assert requests.get(get_url, timeout=10).status_code == 200  # valid through its last second
    cloud.clock.advance(1)
    expired = requests.get(get_url, timeout=10)
    assert expired.status_code == 403 and b"<Message>Request has expired</Message>" in expired.content


def test_bucket_cors_configuration_preflight_and_response_headers(cloud):
    s3 = cloud.client("s3")
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.get_bucket_cors(Bucket="bkt")
    assert e.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"
    rules = [{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "PUT"],
              "AllowedHeaders": ["content-type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300}]
    s3.put_bucket_cors(Bucket="bkt", CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket="bkt")["CORSRules"] == rules
    s3.put_object(Bucket="bkt", Key="k", Body=b"x")
    url = f"{cloud.endpoint_url}/bkt/k"
    ok = requests.options(url, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PUT",
                                        "Access-Control-Request-Headers": "Content-Type"}, timeout=10)
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert ok.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert ok.headers["Access-Control-Allow-Headers"] == "content-type"
    assert ok.headers["Access-Control-Max-Age"] == "300"
    denied = requests.options(url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
                              timeout=10)
    assert denied.status_code == 403 and b"<Code>AccessForbidden</Code>" in denied.content
    got = http_s3(cloud)
    got.meta.events.register("before-sign.s3.GetObject",
                             lambda request, **_: request.headers.__setitem__("Origin", "https://app.example"))
    headers = got.get_object(Bucket="bkt", Key="k")["ResponseMetadata"]["HTTPHeaders"]
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert headers["access-control-expose-headers"] == "ETag"
    s3.delete_bucket_cors(Bucket="bkt")
    no_cors = requests.options(url, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
                               timeout=10)
    assert no_cors.status_code == 403 and b"CORS is not enabled for this bucket." in no_cors.content
