"""moto as a per-Cloud backend: isolation, AWS errors, every way in (in-process, Gateway), close()."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from minilambda import Cloud

TABLE = {"TableName": "t", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
         "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
         "BillingMode": "PAY_PER_REQUEST"}


@pytest.fixture
def two_clouds():
    with Cloud(clock="virtual", seed=1) as a, Cloud(clock="virtual", seed=1) as b:
        yield a, b


def test_two_clouds_never_share_tables(two_clouds):
    a, b = two_clouds
    a.client("dynamodb").create_table(**TABLE)
    a.client("dynamodb").put_item(TableName="t", Item={"id": {"S": "1"}})
    assert a.client("dynamodb").list_tables()["TableNames"] == ["t"]
    assert b.client("dynamodb").list_tables()["TableNames"] == []
    b.client("dynamodb").create_table(**TABLE)  # same name in the other Cloud: no conflict
    assert b.client("dynamodb").scan(TableName="t")["Items"] == []


def test_moto_global_registries_stay_empty(two_clouds):
    from moto.core.base_backend import BackendDict
    from moto.dynamodb.models import dynamodb_backends

    a, _ = two_clouds
    a.client("dynamodb").create_table(**TABLE)
    assert dict(dynamodb_backends) == {}
    assert all(d.service_name != "dynamodb" for d in BackendDict._instances)


def test_aws_errors_reach_botocore_as_client_error(two_clouds):
    a, _ = two_clouds
    ddb = a.client("dynamodb")
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName="missing")
    ddb.create_table(**TABLE)
    with pytest.raises(ClientError) as err:
        ddb.create_table(**TABLE)
    assert err.value.response["Error"]["Code"] == "ResourceInUseException"


def test_streams_see_the_clouds_own_tables(two_clouds):
    a, b = two_clouds
    a.client("dynamodb").create_table(**TABLE, StreamSpecification={"StreamEnabled": True,
                                                                    "StreamViewType": "NEW_IMAGE"})
    assert [s["TableName"] for s in a.client("dynamodbstreams").list_streams()["Streams"]] == ["t"]
    assert b.client("dynamodbstreams").list_streams()["Streams"] == []


def test_backend_object_is_the_clouds(two_clouds):
    a, b = two_clouds
    a.client("dynamodb").create_table(**TABLE)
    assert list(a.dynamodb.backend().tables) == ["t"]
    assert list(b.dynamodb.backend().tables) == []


def test_reached_through_the_loopback_gateway_with_signed_requests(two_clouds):
    """What a handler's boto3 (AWS_ENDPOINT_URL) does: SigV4-signed HTTP to the Cloud's endpoint."""
    a, _ = two_clouds
    a.client("dynamodb").create_table(**TABLE)
    session = boto3.session.Session(aws_access_key_id="minilambda", aws_secret_access_key="minilambda",
                                    region_name="us-east-1")
    cfg = Config(retries={"total_max_attempts": 1})
    ddb = session.client("dynamodb", endpoint_url=a.endpoint_url, config=cfg)
    ddb.put_item(TableName="t", Item={"id": {"S": "via-http"}})
    assert a.client("dynamodb").get_item(TableName="t", Key={"id": {"S": "via-http"}})["Item"]
    streams = session.client("dynamodbstreams", endpoint_url=a.endpoint_url, config=cfg)
    assert streams.list_streams()["Streams"] == []  # routed by X-Amz-Target to the streams service


def test_close_drops_the_state():
    cloud = Cloud(clock="virtual", seed=1)
    cloud.client("dynamodb").create_table(**TABLE)
    backends = cloud.moto
    cloud.close()
    assert backends._dicts == {}


def test_other_account_ids_are_the_clouds():
    with Cloud(clock="virtual", seed=1, account_id="111122223333") as cloud:
        arn = cloud.client("dynamodb").create_table(**TABLE)["TableDescription"]["TableArn"]
        assert arn == "arn:aws:dynamodb:us-east-1:111122223333:table/t"
