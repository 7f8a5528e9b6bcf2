"""Lambda resource-based policies live in the Lambda backend: the Lambda API's three operations, what
API Gateway asks before an invoke, and a deleted function's policy going with it."""

from __future__ import annotations

import json

import pytest

from minilambda import Cloud

from .apigw_helpers import NOOP, allow_apigateway, make_function

SOURCE = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/items"


@pytest.fixture
def cloud():
    with Cloud(clock="virtual", seed=3) as c:
        yield c


def test_policy_round_trip_through_the_lambda_api(cloud):
    make_function(cloud, "f", NOOP)
    lam = cloud.client("lambda")
    allow_apigateway(cloud, "f", "abc123")
    policy = json.loads(lam.get_policy(FunctionName="f")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["apigw"]
    assert policy["Statement"][0]["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(":abc123/*")
    with pytest.raises(lam.exceptions.ResourceConflictException):
        allow_apigateway(cloud, "f", "abc123")
    lam.remove_permission(FunctionName="f", StatementId="apigw")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName="f")


def test_api_gateway_asks_the_backend(cloud):
    make_function(cloud, "f", NOOP)
    permissions = cloud.lambda_.permissions
    assert not permissions.allows("f", None, SOURCE)
    allow_apigateway(cloud, "f", "abc123")
    assert permissions.allows("f", None, SOURCE)
    assert not permissions.allows("f", None, SOURCE.replace("abc123", "other"))


def test_a_deleted_function_takes_its_policy_with_it(cloud):
    make_function(cloud, "f", NOOP)
    allow_apigateway(cloud, "f", "abc123")
    lam = cloud.client("lambda")
    lam.delete_function(FunctionName="f")
    make_function(cloud, "f", NOOP)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName="f")
    assert not cloud.lambda_.permissions.allows("f", None, SOURCE)
