"""The loopback endpoint checks SigV4 header signatures as AWS does, per protocol (json, query,
rest-xml S3, rest-json): unknown key, wrong secret, expired, unsigned; environments' keys live and die
with their environment (header-signed calls and presigned S3 URLs alike)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from helpers import make_function
from minilambda import Cloud

MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.")
UNKNOWN = "The security token included in the request is invalid."

# protocol: (service, call, unknown key, wrong secret, expired)
PROTOCOLS = {
    "json": ("logs", lambda c: c.describe_log_groups(), "UnrecognizedClientException",
             "InvalidSignatureException", "InvalidSignatureException"),
    "query": ("sns", lambda c: c.list_topics(), "InvalidClientTokenId", "SignatureDoesNotMatch",
              "SignatureDoesNotMatch"),
    "rest-xml": ("s3", lambda c: c.list_buckets(), "InvalidAccessKeyId", "SignatureDoesNotMatch",
                 "RequestTimeTooSkewed"),
    "rest-json": ("lambda", lambda c: c.list_functions(), "UnrecognizedClientException",
                  "InvalidSignatureException", "InvalidSignatureException"),
}
NO_RETRY = Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"})


@pytest.fixture
def cloud():
    """A virtual clock starting now, so that the client's signing time and the Cloud's agree."""
    with Cloud(clock="virtual", seed=3) as c:
        c.signatures.wall = c.clock.now  # only the Cloud's clock counts (tests move it)
        yield c


def _client(cloud, service, key="minilambda", secret="minilambda", token=None, **config):
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                                    region_name="us-east-1")
    return session.client(service, endpoint_url=cloud.endpoint_url, config=NO_RETRY.merge(Config(**config)))


def _refusal(call, client) -> botocore.exceptions.ClientError:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call(client)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return err.value


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_clouds_own_keys_are_accepted(cloud, protocol):
    service, call, *_ = PROTOCOLS[protocol]
    call(_client(cloud, service))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_unknown_access_key_is_refused(cloud, protocol):
    service, call, unknown, *_ = PROTOCOLS[protocol]
    err = _refusal(call, _client(cloud, service, key="AKIANOBODYKNOWS", secret="x"))
    assert err.response["Error"]["Code"] == unknown
    if service == "s3":
        assert err.response["Error"]["Message"] == "The AWS Access Key Id you provided does not exist in our records."
        assert err.response["Error"]["AWSAccessKeyId"] == "AKIANOBODYKNOWS"
    else:
        assert err.response["Error"]["Message"] == UNKNOWN


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_wrong_secret_is_refused(cloud, protocol):
    service, call, _, mismatch, _ = PROTOCOLS[protocol]
    err = _refusal(call, _client(cloud, service, secret="not-the-secret"))
    assert err.response["Error"]["Code"] == mismatch
    if service == "s3":
        assert err.response["Error"]["Message"].startswith("The request signature we calculated does not match")
        assert "GET\n/\n" in err.response["Error"]["CanonicalRequest"]
    else:
        assert err.response["Error"]["Message"].startswith(MISMATCH)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_request_signed_too_long_ago_is_refused(cloud, protocol):
    service, call, _, _, expired = PROTOCOLS[protocol]
    client = _client(cloud, service)
    cloud.clock.advance(4 * 60)  # within 5 minutes (S3: 15): fine
    call(client)
    cloud.clock.advance(12 * 60)
    err = _refusal(call, client)
    assert err.response["Error"]["Code"] == expired
    if service == "s3":
        assert err.response["Error"]["Message"] == ("The difference between the request time and the current "
                                                    "time is too large.")
        assert err.response["Error"]["MaxAllowedSkewMilliseconds"] == "900000"
    else:
        message = err.response["Error"]["Message"]
        assert message.startswith("Signature expired: ") and message.endswith(" - 5 min.)"), message
        assert " is now earlier than " in message


@pytest.mark.parametrize("service, call, code", [
    ("logs", lambda c: c.describe_log_groups(), "MissingAuthenticationTokenException"),
    ("sqs", lambda c: c.list_queues(), "MissingAuthenticationTokenException"),
    ("sns", lambda c: c.list_topics(), "MissingAuthenticationToken"),
])
def test_an_unsigned_request_is_refused(cloud, service, call, code):
    err = _refusal(call, _client(cloud, service, signature_version=UNSIGNED))
    assert err.response["Error"]["Code"] == code
    assert err.response["Error"]["Message"] == "Request is missing Authentication Token"


def test_anonymous_s3_and_cognitos_public_documents_stay_unsigned(cloud):
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="site")
    s3.put_object(Bucket="site", Key="index.html", Body=b"hi")
    with urllib.request.urlopen(f"{cloud.endpoint_url}/site/index.html", timeout=10) as resp:
        assert resp.read() == b"hi"
    pool = cloud.client("cognito-idp").create_user_pool(PoolName="p")["UserPool"]["Id"]
    with urllib.request.urlopen(f"{cloud.cognito_issuer_url(pool)}/.well-known/jwks.json", timeout=10) as resp:
        assert "keys" in json.loads(resp.read())


def test_keys_added_with_add_credentials_are_accepted(cloud):
    cloud.apigateway.add_credentials("AKIASTUDENT", "student-secret")
    _client(cloud, "lambda", key="AKIASTUDENT", secret="student-secret").list_functions()
    err = _refusal(lambda c: c.list_functions(), _client(cloud, "lambda", key="AKIASTUDENT", secret="nope"))
    assert err.response["Error"]["Code"] == "InvalidSignatureException"


KEYS = '''
import os
import boto3

def handler(event, context):
    boto3.client("sqs").list_queues()  # signed with this environment's own keys
    url = boto3.client("s3").generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"})
    return {"key": os.environ["AWS_ACCESS_KEY_ID"], "secret": os.environ["AWS_SECRET_ACCESS_KEY"],
            "token": os.environ["AWS_SESSION_TOKEN"], "url": url}
'''


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.process
def test_an_environments_keys_work_until_it_is_reclaimed():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=4) as cloud:  # handlers sign with the host's clock
        s3 = cloud.client("s3")
        s3.create_bucket(Bucket="bkt")
        s3.put_object(Bucket="bkt", Key="k", Body=b"object")
        lam = cloud.client("lambda")
        make_function(lam, "keys", KEYS)
        out = json.loads(lam.invoke(FunctionName="keys")["Payload"].read())
        assert out["key"].startswith("ASIA")
        own = _client(cloud, "lambda", key=out["key"], secret=out["secret"], token=out["token"])
        own.list_functions()
        assert _get(out["url"]) == (200, b"object")  # a handler's presigned URL, fully checked
        forged = out["url"].replace("Signature=", "Signature=0", 1)  # SigV2 or SigV4 alike
        status, body = _get(forged)
        assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
        wrong_token = _client(cloud, "lambda", key=out["key"], secret=out["secret"], token="other-token")
        assert _refusal(lambda c: c.list_functions(), wrong_token).response["Error"]["Code"] == \
            "UnrecognizedClientException"
        cloud.clock.advance(601)  # idle for longer than keep-alive: the environment is reclaimed
        assert cloud.platform.live == 0
        err = _refusal(lambda c: c.list_functions(), own)
        assert err.response["Error"]["Code"] == "UnrecognizedClientException"
        status, body = _get(out["url"])
        assert status == 403 and b"<Code>InvalidAccessKeyId</Code>" in body


def test_a_presigned_call_to_another_service_is_checked_too(cloud):
    good = _client(cloud, "lambda").generate_presigned_url("list_functions", ExpiresIn=60)
    bad = _client(cloud, "lambda", secret="nope").generate_presigned_url("list_functions", ExpiresIn=60)
    assert _get(good)[0] == 200
    status, body = _get(bad)
    assert status == 403 and json.loads(body)["message"].startswith(MISMATCH)
