"""Nothing leaks in: a Cloud behaves the same whatever the user's shell and ~/.aws hold."""

from __future__ import annotations

import json

import pytest

from minilambda import Cloud, zip_files

HANDLER = '''import boto3, os
def handler(event, context):
    s3 = boto3.client("s3")
    return {"region": s3.meta.region_name, "endpoint": s3.meta.endpoint_url, "profile": os.environ.get("AWS_PROFILE"),
            "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]]}
'''


@pytest.fixture
def hostile_shell(monkeypatch, tmp_path):
    """The user's AWS configuration points somewhere else in every way botocore allows."""
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-3\nretry_mode = adaptive\nmax_attempts = 7\n"
                      "endpoint_url = http://127.0.0.1:9\nca_bundle = /nonexistent/ca.pem\n"
                      "[profile other]\nregion = sa-east-1\n")
    (tmp_path / "credentials").write_text("[default]\naws_access_key_id = AKIAREALKEY\naws_secret_access_key = x\n")
    for name, value in {"AWS_PROFILE": "does-not-exist", "AWS_CONFIG_FILE": str(config),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
                        "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:9",
                        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9", "AWS_DEFAULT_REGION": "ap-south-1",
                        "AWS_REGION": "ap-south-1", "AWS_CA_BUNDLE": "/nonexistent/ca.pem", "AWS_RETRY_MODE": "adaptive",
                        "AWS_MAX_ATTEMPTS": "9", "AWS_USE_FIPS_ENDPOINT": "true"}.items():
        monkeypatch.setenv(name, value)


def test_cloud_clients_ignore_the_users_aws_configuration(hostile_shell):
    with Cloud(clock="virtual", region="us-east-1") as cloud:
        lam = cloud.client("lambda")
        assert lam.list_functions()["Functions"] == []
        assert lam.meta.region_name == "us-east-1"
        assert lam.meta.config.retries == {"total_max_attempts": 1, "mode": "standard"}
        cloud.client("s3").create_bucket(Bucket="mine")
        assert [b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]] == ["mine"]


@pytest.mark.process
def test_handlers_ignore_the_users_aws_configuration(hostile_shell):
    with Cloud(clock="virtual", region="us-east-1") as cloud:
        lam = cloud.client("lambda")
        cloud.client("s3").create_bucket(Bucket="mine")
        lam.create_function(FunctionName="f", Runtime="python3.12", Handler="app.handler", Timeout=30,
                            Role="arn:aws:iam::123456789012:role/r", Code={"ZipFile": zip_files({"app.py": HANDLER})})
        out = json.loads(lam.invoke(FunctionName="f")["Payload"].read())
        assert out == {"region": "us-east-1", "endpoint": cloud.endpoint_url, "profile": None, "buckets": ["mine"]}
