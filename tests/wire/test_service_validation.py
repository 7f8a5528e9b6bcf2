"""Malformed requests to the API Gateway control planes, CloudFormation, DynamoDB and Cognito get each
service's own 4xx (code, status and message form), never a 500; operations moto lacks say so (501);
a fault of ours is still a 500, and logged."""

from __future__ import annotations

import logging
from typing import Any, Callable

import botocore.exceptions
import pytest

from minilambda import Cloud
from minilambda.wire.messages import Request

pytestmark = pytest.mark.timeout(120)

KEY = {"KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
       "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}


@pytest.fixture(scope="module")
def cloud():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=3) as c:
        c.client("dynamodb").create_table(TableName="t", **KEY)
        yield c


def _answer(cloud: Cloud, service: str, call: Callable[[Any], Any]) -> tuple[int, str, str]:
    client = cloud.client(service, parameter_validation=False)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(client)
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


CASES = [
    ("dynamodb", lambda c: c.create_table(TableName="t2", **{**KEY, "BillingMode": "FREE"}),
     "ValidationException", "1 validation error detected: Value 'FREE' at 'billingMode' failed to satisfy "
     "constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"),
    ("dynamodb", lambda c: c.create_table(TableName="t3", **{**KEY, "KeySchema": [
        {"AttributeName": "k", "KeyType": "HASHY"}]}),
     "ValidationException", "Value 'HASHY' at 'keySchema.1.member.keyType' failed to satisfy constraint"),
    ("dynamodbstreams", lambda c: c.describe_stream(StreamArn="x"),
     "ValidationException", "Value 'x' at 'streamArn' failed to satisfy constraint: Member must have length "
     "greater than or equal to 37"),
    ("cognito-idp", lambda c: c.admin_get_user(UserPoolId="bad", Username="u"),
     "InvalidParameterException", "1 validation error detected: Value 'bad' at 'userPoolId' failed to satisfy "
     "constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"),
    ("apigateway", lambda c: c.get_stages(restApiId=""),
     "ValidationException", "1 validation error detected: Value null at 'getStagesInput.restApiId' failed to "
     "satisfy constraint: Member must not be null"),
    ("apigateway", lambda c: c.get_stage(restApiId="", stageName="s"),
     "ValidationException", "Value null at 'getStageInput.restApiId'"),
    ("apigateway", lambda c: c.update_account(patchOperations=[{"op": "explode", "path": "/features"}]),
     "ValidationException", "Value 'explode' at 'updateAccountInput.patchOperations.1.member.op' failed to "
     "satisfy constraint: Member must satisfy enum value set: [add, remove, replace, move, copy, test]"),
    ("apigateway", lambda c: c.update_account(patchOperations=[{"op": "replace", "path": "/nope", "value": "x"}]),
     "BadRequestException", "Invalid patch path /nope"),
    ("apigateway", lambda c: c.get_usage(usagePlanId="p", startDate="yesterday", endDate="2024-01-01"),
     "BadRequestException", "Invalid startDate 'yesterday'"),
    ("apigateway", lambda c: c.get_usage(usagePlanId="p", startDate="2024-01-02", endDate="2024-01-01"),
     "BadRequestException", "end date must be on or after the start date"),
    ("apigateway", lambda c: c.get_export(restApiId="a", stageName="s", exportType="oas30", accepts="a\nb"),
     "BadRequestException", "Header values must not contain newline characters"),
    ("apigatewayv2", lambda c: c.get_api(ApiId=""),
     "BadRequestException", "Value null at 'apiId' failed to satisfy constraint: Member must not be null"),
    ("apigatewayv2", lambda c: c.update_stage(ApiId="", StageName=""),
     "BadRequestException", "2 validation errors detected"),
    ("cloudformation", lambda c: c.create_stack(TemplateBody="{}"),
     "ValidationError", "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: "
     "Member must not be null"),
    ("cloudformation", lambda c: c.create_stack(StackName="s", TemplateBody="{}", OnFailure="EXPLODE"),
     "ValidationError", "Value 'EXPLODE' at 'onFailure' failed to satisfy constraint: Member must satisfy enum "
     "value set: [DO_NOTHING, ROLLBACK, DELETE]"),
    ("cloudformation", lambda c: c.create_stack(StackName="s", TemplateBody="{}",
                                                Parameters=[{"ParameterValue": "x"}]),
     "ValidationError", "Every member of Parameters needs a ParameterKey"),
    ("cloudformation", lambda c: c.create_stack(StackName="0MyStack", TemplateBody="{}"),
     "ValidationError", "1 validation error detected: Value '0MyStack' at 'stackName' failed to satisfy "
     "constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"),
    ("cloudformation", lambda c: c.describe_stacks(StackName="my_stack"),
     "ValidationError", "Value 'my_stack' at 'stackName' failed to satisfy constraint: Member must satisfy "
     "regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"),
    ("cloudformation", lambda c: c.describe_stack_resources(),
     "ValidationError", "Either StackName or PhysicalResourceId must be specified"),
    ("cloudformation", lambda c: c.get_template(),
     "ValidationError", "Either StackName or ChangeSetName must be specified"),
]


@pytest.mark.parametrize("service, call, code, message", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_malformed_input_gets_the_services_own_4xx(cloud, service, call, code, message):
    status, got_code, got_message = _answer(cloud, service, call)
    assert (status, got_code) == (400, code), got_message
    assert message in got_message


@pytest.mark.parametrize("service, call, code, member", [
    ("dynamodb", lambda c: c.batch_write_item(RequestItems={"t": [{}]}), "ValidationException", "IndexError"),
    ("cognito-idp", lambda c: c.admin_create_user(
        UserPoolId=c.create_user_pool(PoolName="p")["UserPool"]["Id"], Username="u",
        UserAttributes=[{"Name": "email"}]), "InvalidParameterException", "'Value'"),
])
def test_input_moto_cannot_process_gets_the_services_validation_code(cloud, service, call, code, member):
    status, got_code, message = _answer(cloud, service, call)
    assert (status, got_code) == (400, code), message
    assert member in message


@pytest.mark.parametrize("service, operation, call", [
    ("dynamodb", "ListGlobalTables", lambda c: c.list_global_tables()),
    ("cognito-idp", "AdminListDevices", lambda c: c.admin_list_devices(UserPoolId="us-east-1_abc", Username="u")),
    ("apigateway", "GetClientCertificates", lambda c: c.get_client_certificates()),
    ("apigatewayv2", "ExportApi", lambda c: c.export_api(ApiId="a", OutputType="JSON", Specification="OAS30")),
])
def test_an_operation_moto_lacks_is_not_served_and_says_so(cloud, service, operation, call):
    assert operation not in cloud.dispatcher.adapter(service).operations
    status, code, message = _answer(cloud, service, call)
    assert (status, code) == (501, "NotImplementedException")
    assert operation in message


def test_served_operations_include_what_moto_implements_and_our_corrections(cloud):
    assert {"CreateTable", "Query"} <= set(cloud.dispatcher.adapter("dynamodb").operations)
    assert {"GetUsage", "TestInvokeMethod", "UpdateMethod"} <= set(cloud.dispatcher.adapter("apigateway").operations)
    assert {"GetApi", "UpdateStage"} <= set(cloud.dispatcher.adapter("apigatewayv2").operations)


def test_a_fault_of_ours_is_still_a_500_and_logged(caplog):
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=4) as cloud:
        adapter = cloud.dispatcher.adapter("cloudformation")

        def broken(request: Request) -> Any:
            raise RuntimeError("a bug of ours")

        adapter.operations["ListExports"] = broken
        with caplog.at_level(logging.ERROR, logger="minilambda.wire"):
            status, code, message = _answer(cloud, "cloudformation", lambda c: c.list_exports())
    assert (status, code) == (500, "ServiceException")
    assert "a bug of ours" in message
    assert any("ListExports" in r.getMessage() and r.exc_info for r in caplog.records)
