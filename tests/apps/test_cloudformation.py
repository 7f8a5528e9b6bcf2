"""CloudFormation through a real botocore client: stacks, intrinsics, parameters, rollback,
updates, change sets, exports, the SAM transform and cfn-lint findings."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/r"

QUEUE_AND_TOPIC = """
AWSTemplateFormatVersion: '2010-09-09'
Description: queue and topic
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Names:
    Type: CommaDelimitedList
    Default: "a,b,c"
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !If [IsProd, 60, 30]
  Topic:
    Type: AWS::SNS::Topic
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
      Endpoint: !GetAtt Queue.Arn
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
Outputs:
  QueueUrl:
    Value: !Ref Queue
    Export:
      Name: !Sub "${AWS::StackName}-queue"
  Second:
    Value: !Select [1, !Ref Names]
  Joined:
    Value: !Join ["/", [!Ref "AWS::Region", !Select [0, !Split [",", "x,y"]], !GetAtt Topic.TopicName]]
"""


@pytest.fixture
def cfn(vcloud):
    return vcloud.client("cloudformation")


def status(cfn, name):
    """The stack's ``StackStatus``."""
    return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def outputs(cfn, name):
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def events(cfn, name):
    """(logical id, status, reason), oldest first."""
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
            for e in reversed(cfn.describe_stack_events(StackName=name)["StackEvents"])]


def test_create_describe_outputs_and_delete_leaves_nothing(vcloud, cfn):
    stack_id = cfn.create_stack(StackName="app", TemplateBody=QUEUE_AND_TOPIC)["StackId"]
    cfn.get_waiter("stack_create_complete").wait(StackName="app")
    stack = cfn.describe_stacks(StackName="app")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["Description"] == "queue and topic"
    out = outputs(cfn, "app")
    assert out["QueueUrl"].startswith("https://sqs.us-east-1.amazonaws.com/123456789012/app-Queue-")
    assert out["Second"] == "b"
    assert out["Joined"].startswith("us-east-1/x/app-Topic-")
    sqs = vcloud.client("sqs")
    assert sqs.get_queue_attributes(QueueUrl=out["QueueUrl"], AttributeNames=["VisibilityTimeout"])[
        "Attributes"]["VisibilityTimeout"] == "30"
    kinds = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]}
    assert kinds == {"Queue", "Topic", "Subscription"}  # ProdOnly's condition is false
    assert cfn.list_exports()["Exports"][0]["Name"] == "app-queue"
    # AWS's event sequence for one resource
    assert [e for e in events(cfn, "app") if e[0] == "Queue"] == [
        ("Queue", "CREATE_IN_PROGRESS", ""), ("Queue", "CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("Queue", "CREATE_COMPLETE", "")]
    assert events(cfn, "app")[0] == ("app", "CREATE_IN_PROGRESS", "User Initiated")
    cfn.delete_stack(StackName="app")
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack_id)
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert vcloud.client("sns").list_topics()["Topics"] == []
    assert cfn.list_exports()["Exports"] == []
    with pytest.raises(ClientError, match="Stack with id app does not exist"):
        cfn.describe_stacks(StackName="app")
    assert status(cfn, stack_id) == "DELETE_COMPLETE"


def test_parameter_constraints_and_missing_values(cfn):
    with pytest.raises(ClientError, match="Parameter 'Env' must be one of AllowedValues"):
        cfn.create_stack(StackName="s", TemplateBody=QUEUE_AND_TOPIC,
                         Parameters=[{"ParameterKey": "Env", "ParameterValue": "test"}])
    body = """
Parameters:
  Size: {Type: Number, MinValue: 1, MaxValue: 10}
  Name: {Type: String, AllowedPattern: "[a-z]+", ConstraintDescription: lower-case letters only}
Resources:
  Q: {Type: AWS::SQS::Queue}
"""
    with pytest.raises(ClientError, match=r"Parameters: \[Size, Name\] must have values"):
        cfn.create_stack(StackName="s", TemplateBody=body)
    with pytest.raises(ClientError, match="must be a number not greater than 10"):
        cfn.create_stack(StackName="s", TemplateBody=body, Parameters=[
            {"ParameterKey": "Size", "ParameterValue": "11"}, {"ParameterKey": "Name", "ParameterValue": "ok"}])
    with pytest.raises(ClientError, match="failed to satisfy constraint: lower-case letters only"):
        cfn.create_stack(StackName="s", TemplateBody=body, Parameters=[
            {"ParameterKey": "Size", "ParameterValue": "2"}, {"ParameterKey": "Name", "ParameterValue": "NO"}])
    with pytest.raises(ClientError, match=r"Parameters: \[Nope\] do not exist in the template"):
        cfn.create_stack(StackName="s", TemplateBody=body, Parameters=[{"ParameterKey": "Nope", "ParameterValue": "1"}])


def test_prod_condition_changes_properties(vcloud, cfn):
    cfn.create_stack(StackName="p", TemplateBody=QUEUE_AND_TOPIC,
                     Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}])
    names = {r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName="p")["StackResources"]}
    assert "ProdOnly" in names
    url = outputs(cfn, "p")["QueueUrl"]
    attrs = vcloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert attrs["Attributes"]["VisibilityTimeout"] == "60"


FAILING = """
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Broken:
    Type: AWS::Lambda::Function
    DependsOn: [Queue, Table]
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      MemorySize: 20000
      Code: {ZipFile: "def handler(e, c): return 1"}
"""


def test_failed_resource_rolls_back_everything(vcloud, cfn):
    cfn.create_stack(StackName="bad", TemplateBody=FAILING)
    with pytest.raises(Exception, match="ROLLBACK_COMPLETE"):
        cfn.get_waiter("stack_create_complete").wait(StackName="bad", WaiterConfig={"Delay": 0, "MaxAttempts": 1})
    stack = cfn.describe_stacks(StackName="bad")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    evs = events(cfn, "bad")
    failed = [e for e in evs if e[1] == "CREATE_FAILED"]
    assert failed[0][0] == "Broken"
    assert failed[0][2].startswith('Resource handler returned message: "')
    assert "(Service: Lambda, Status Code: 400" in failed[0][2] and "HandlerErrorCode: InvalidRequest" in failed[0][2]
    assert ("bad", "ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to create: [Broken]. Rollback requested by user.") in evs
    assert evs[-1] == ("bad", "ROLLBACK_COMPLETE", "")
    assert {e[0] for e in evs if e[1] == "DELETE_COMPLETE"} >= {"Queue", "Table"}
    assert vcloud.client("sqs").list_queues().get("QueueUrls", []) == []
    assert vcloud.client("dynamodb").list_tables()["TableNames"] == []
    with pytest.raises(ClientError, match="ROLLBACK_COMPLETE state and can not be updated"):
        cfn.update_stack(StackName="bad", TemplateBody=FAILING)


def test_unsupported_type_fails_naming_it(cfn):
    body = "Resources:\n  Q: {Type: AWS::SQS::Queue}\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {CidrBlock: 10.0.0.0/16}\n"
    cfn.create_stack(StackName="u", TemplateBody=body)
    reasons = [e[2] for e in events(cfn, "u") if e[1] == "CREATE_FAILED"]
    assert reasons and "AWS::EC2::VPC is not supported by minilambda" in reasons[0]
    assert status(cfn, "u") == "ROLLBACK_COMPLETE"


FUNCTION_URL = """
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code:
        ZipFile: |
          def handler(event, context):
              return {"path": event["rawPath"], "domain": event["requestContext"]["domainName"]}
  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !GetAtt Fn.Arn, AuthType: NONE, Cors: {AllowOrigins: ["https://a.example"]}}
  UrlPermission:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunctionUrl, Principal: "*", FunctionUrlAuthType: NONE}
  InvokePermission:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: "*", InvokedViaFunctionUrl: true}
Outputs:
  Url: {Value: !GetAtt Url.FunctionUrl}
  Arn: {Value: !GetAtt Url.FunctionArn}
  Ref: {Value: !Ref Url}
"""


@pytest.mark.process
def test_function_url_resource_deploys_answers_updates_and_is_deleted(vcloud, cfn):
    cfn.create_stack(StackName="url", TemplateBody=FUNCTION_URL)
    assert status(cfn, "url") == "CREATE_COMPLETE", events(cfn, "url")
    out = outputs(cfn, "url")
    assert re.fullmatch(r"https://[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws/", out["Url"])
    assert out["Arn"] == out["Ref"] and out["Arn"].startswith("arn:aws:lambda:us-east-1:123456789012:function:url-Fn-")
    answer = vcloud.http("GET", out["Url"] + "hi", headers={"Origin": "https://a.example"})
    assert answer.status == 200 and answer.json() == {"path": "/hi", "domain": out["Url"][8:-1]}
    assert answer.header("Access-Control-Allow-Origin") == "https://a.example"
    lam = vcloud.client("lambda")
    cfn.update_stack(StackName="url", TemplateBody=FUNCTION_URL.replace("AuthType: NONE, Cors", "AuthType: AWS_IAM, Cors"))
    assert status(cfn, "url") == "UPDATE_COMPLETE", events(cfn, "url")
    assert lam.get_function_url_config(FunctionName=out["Arn"])["AuthType"] == "AWS_IAM"
    assert outputs(cfn, "url")["Url"] == out["Url"]  # updated in place: the address never changes
    assert vcloud.http("GET", out["Url"]).status == 403  # unsigned
    cfn.delete_stack(StackName="url")
    assert lam.list_functions()["Functions"] == []
    assert vcloud.http("GET", out["Url"]).status == 403


def test_disable_rollback_keeps_created_resources(vcloud, cfn):
    cfn.create_stack(StackName="keep", TemplateBody=FAILING, DisableRollback=True)
    stack = cfn.describe_stacks(StackName="keep")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to create: [Broken]. "
    assert len(vcloud.client("sqs").list_queues()["QueueUrls"]) == 1
    cfn.delete_stack(StackName="keep")
    assert vcloud.client("sqs").list_queues().get("QueueUrls", []) == []


def test_lint_errors_are_validation_errors(cfn):
    body = "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Bogus: 1\n"
    with pytest.raises(ClientError) as err:
        cfn.validate_template(TemplateBody=body)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "E3002" in err.value.response["Error"]["Message"] and "Bogus" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError, match="Unresolved resource dependencies|Missing"):
        cfn.create_stack(StackName="x", TemplateBody="Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
                                                      "    Properties: {QueueName: !Ref Missing}\n")
    with pytest.raises(ClientError, match="YAML not well-formed"):
        cfn.validate_template(TemplateBody="Resources: [")


def test_updates_in_place_replacement_and_removal(vcloud, cfn):
    v1 = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: 30}\n  T: {Type: AWS::SNS::Topic}\n"
    cfn.create_stack(StackName="up", TemplateBody=v1)
    url = cfn.describe_stack_resource(StackName="up", LogicalResourceId="Q")["StackResourceDetail"]["PhysicalResourceId"]
    with pytest.raises(ClientError, match="No updates are to be performed."):
        cfn.update_stack(StackName="up", TemplateBody=v1)
    v2 = v1.replace("VisibilityTimeout: 30", "VisibilityTimeout: 45").replace("  T: {Type: AWS::SNS::Topic}\n", "")
    cfn.update_stack(StackName="up", TemplateBody=v2)
    cfn.get_waiter("stack_update_complete").wait(StackName="up")
    assert vcloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
        "Attributes"]["VisibilityTimeout"] == "45"  # modified in place: same queue
    assert vcloud.client("sns").list_topics()["Topics"] == []  # removed during cleanup
    statuses = [e[1] for e in events(cfn, "up") if e[0] == "up"]
    assert statuses[-3:] == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE"]
    v3 = v2.replace("Properties: {VisibilityTimeout: 45}", "Properties: {VisibilityTimeout: 45, QueueName: renamed}")
    cfn.update_stack(StackName="up", TemplateBody=v3)
    new_url = cfn.describe_stack_resource(StackName="up", LogicalResourceId="Q")["StackResourceDetail"][
        "PhysicalResourceId"]
    assert new_url != url and new_url.endswith("/renamed")
    assert vcloud.client("sqs").list_queues()["QueueUrls"] == [new_url]  # the old queue was deleted


def test_custom_named_resource_cannot_be_replaced_and_update_rolls_back(vcloud, cfn):
    table = ("  Tbl:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: fixed\n"
             "      BillingMode: PAY_PER_REQUEST\n      AttributeDefinitions: [{AttributeName: KEY, AttributeType: S}]\n"
             "      KeySchema: [{AttributeName: KEY, KeyType: HASH}]\n")
    v1 = "Resources:\n  T: {Type: AWS::SNS::Topic}\n" + table.replace("KEY", "id")
    cfn.create_stack(StackName="named", TemplateBody=v1)
    v2 = "Resources:\n  T: {Type: AWS::SNS::Topic}\n  Extra: {Type: AWS::SNS::Topic}\n" + table.replace("KEY", "pk")
    cfn.update_stack(StackName="named", TemplateBody=v2)
    stack = cfn.describe_stacks(StackName="named")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [e[2] for e in events(cfn, "named") if e[1] == "UPDATE_FAILED"]
    assert "CloudFormation cannot update a stack when a custom-named resource requires replacing" in reasons[0]
    assert len(vcloud.client("sns").list_topics()["Topics"]) == 1  # Extra was created, then removed
    key = vcloud.client("dynamodb").describe_table(TableName="fixed")["Table"]["KeySchema"][0]["AttributeName"]
    assert key == "id"


def test_deletion_policy_retain_keeps_the_resource(vcloud, cfn):
    body = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n  T: {Type: AWS::SNS::Topic}\n"
    cfn.create_stack(StackName="r", TemplateBody=body)
    cfn.delete_stack(StackName="r")
    assert ("Q", "DELETE_SKIPPED", "") in events(cfn, cfn.list_stacks()["StackSummaries"][0]["StackId"])
    assert len(vcloud.client("sqs").list_queues()["QueueUrls"]) == 1
    assert vcloud.client("sns").list_topics()["Topics"] == []


def test_import_value_across_stacks_and_export_in_use(cfn):
    cfn.create_stack(StackName="base", TemplateBody=QUEUE_AND_TOPIC)
    user = ("Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n"
            "      DisplayName: {'Fn::Select': [4, {'Fn::Split': ['/', {'Fn::ImportValue': base-queue}]}]}\n"
            "Outputs:\n  Imported:\n    Value: {'Fn::ImportValue': base-queue}\n")
    cfn.create_stack(StackName="user", TemplateBody=user)
    assert outputs(cfn, "user")["Imported"] == outputs(cfn, "base")["QueueUrl"]
    with pytest.raises(ClientError, match="Export base-queue cannot be deleted as it is in use by user"):
        cfn.delete_stack(StackName="base")
    cfn.create_stack(StackName="nobody", TemplateBody=user.replace("base-queue", "missing"))
    assert status(cfn, "nobody") == "ROLLBACK_COMPLETE"


def test_change_sets_as_aws_cloudformation_deploy_uses_them(cfn):
    body = "Resources:\n  Q: {Type: AWS::SQS::Queue}\n"
    cs = cfn.create_change_set(StackName="cs", ChangeSetName="one", TemplateBody=body, ChangeSetType="CREATE")
    assert status(cfn, "cs") == "REVIEW_IN_PROGRESS"
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=cs["Id"])
    described = cfn.describe_change_set(ChangeSetName="one", StackName="cs")
    assert described["ExecutionStatus"] == "AVAILABLE"
    assert described["Changes"][0]["ResourceChange"]["Action"] == "Add"
    cfn.execute_change_set(ChangeSetName=cs["Id"])
    cfn.get_waiter("stack_create_complete").wait(StackName="cs")
    assert events(cfn, "cs")[0] == ("cs", "REVIEW_IN_PROGRESS", "User Initiated")
    same = cfn.create_change_set(StackName="cs", ChangeSetName="two", TemplateBody=body)
    failed = cfn.describe_change_set(ChangeSetName=same["Id"])
    assert failed["Status"] == "FAILED"
    assert failed["StatusReason"] == ("The submitted information didn't contain changes. Submit different "
                                      "information to create a change set.")
    more = cfn.create_change_set(StackName="cs", ChangeSetName="three",
                                 TemplateBody=body + "  T: {Type: AWS::SNS::Topic}\n")
    change = cfn.describe_change_set(ChangeSetName=more["Id"])["Changes"]
    assert [(c["ResourceChange"]["LogicalResourceId"], c["ResourceChange"]["Action"]) for c in change] == [("T", "Add")]
    cfn.execute_change_set(ChangeSetName=more["Id"])
    assert status(cfn, "cs") == "UPDATE_COMPLETE"


SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import os
        def handler(event, context):
            return {"table": os.environ["TABLE"], "file": __file__.rsplit("/", 1)[-1]}
      Environment:
        Variables:
          TABLE: !Ref Items
      Events:
        Stream:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Items.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
Outputs:
  Fn:
    Value: !Ref Hello
"""


def test_sam_transform_needs_auto_expand_for_direct_create(cfn):
    with pytest.raises(ClientError) as err:
        cfn.create_stack(StackName="sam", TemplateBody=SAM)
    assert err.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    assert err.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"
    with pytest.raises(ClientError, match=r"Requires capabilities : \[CAPABILITY_IAM\]"):
        cfn.create_stack(StackName="sam", TemplateBody=SAM, Capabilities=["CAPABILITY_AUTO_EXPAND"])


@pytest.mark.process
def test_sam_function_with_inline_code_and_stream_mapping(vcloud, cfn):
    cfn.create_stack(StackName="sam", TemplateBody=SAM, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    assert status(cfn, "sam") == "CREATE_COMPLETE", events(cfn, "sam")
    types = {r["ResourceType"] for r in cfn.list_stack_resources(StackName="sam")["StackResourceSummaries"]}
    assert types == {"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::DynamoDB::Table",
                     "AWS::Lambda::EventSourceMapping"}
    processed = cfn.get_template(StackName="sam", TemplateStage="Processed")["TemplateBody"]  # botocore parses JSON
    assert "Transform" not in processed and processed["Resources"]["Hello"]["Type"] == "AWS::Lambda::Function"
    assert "Transform: AWS::Serverless-2016-10-31" in cfn.get_template(StackName="sam")["TemplateBody"]
    lam = vcloud.client("lambda")
    fn = outputs(cfn, "sam")["Fn"]
    result = json.loads(lam.invoke(FunctionName=fn)["Payload"].read())
    assert result["file"] == "index.py" and result["table"].startswith("sam-Items-")
    vcloud.client("dynamodb").put_item(TableName=result["table"], Item={"id": {"S": "1"}})
    vcloud.clock.advance(1)
    assert [i.trigger for i in vcloud.invocations] == ["invoke", "dynamodb"]
    cfn.delete_stack(StackName="sam")
    assert lam.list_functions()["Functions"] == [] and lam.list_event_source_mappings()["EventSourceMappings"] == []
    assert vcloud.client("dynamodb").list_tables()["TableNames"] == []


SAM_REST = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"statusCode": 200, "body": event.get("path") or event.get("source", "")}
      Events:
        Get:
          Type: Api
          Properties: {Path: "/hello/{name}", Method: get}
        Hourly:
          Type: Schedule
          Properties: {Schedule: rate(1 hour)}
Outputs:
  Url:
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/hello/ada"
"""


@pytest.mark.process
def test_sam_rest_api_and_schedule_events(vcloud, cfn):
    cfn.create_stack(StackName="rest", TemplateBody=SAM_REST, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    assert status(cfn, "rest") == "CREATE_COMPLETE", events(cfn, "rest")
    response = vcloud.http("GET", outputs(cfn, "rest")["Url"])  # AWS's URL form, answered in-process
    assert (response.status, response.body) == (200, b"/hello/ada")
    vcloud.clock.advance(3601)
    assert [i.trigger for i in vcloud.invocations] == ["apigateway", "async"]
    cfn.delete_stack(StackName="rest")
    assert vcloud.client("apigateway").get_rest_apis()["items"] == []
    assert vcloud.client("events").list_rules()["Rules"] == []


SAM_FUNCTION_URL = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      AutoPublishAlias: live
      InlineCode: |
        def handler(event, context):
            return {"statusCode": 201, "body": event["requestContext"]["http"]["method"], "cookies": ["a=1"]}
      FunctionUrlConfig:
        AuthType: NONE
Outputs:
  Url:
    Value: !GetAtt FnUrl.FunctionUrl
"""


@pytest.mark.process
def test_sam_function_url_config_deploys_and_answers_over_a_socket(vcloud, cfn):
    import requests

    cfn.create_stack(StackName="furl", TemplateBody=SAM_FUNCTION_URL,
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    assert status(cfn, "furl") == "CREATE_COMPLETE", events(cfn, "furl")
    types = sorted(r["ResourceType"] for r in cfn.list_stack_resources(StackName="furl")["StackResourceSummaries"])
    assert types.count("AWS::Lambda::Permission") == 2 and "AWS::Lambda::Url" in types
    url = outputs(cfn, "furl")["Url"]
    answer = requests.post(vcloud.function_url_endpoint(url) + "x", data=b"", timeout=60)
    assert (answer.status_code, answer.text, answer.headers["Set-Cookie"]) == (201, "POST", "a=1")
    assert vcloud.invocations[-1].trigger == "function-url" and vcloud.invocations[-1].qualifier == "live"
    cfn.delete_stack(StackName="furl")
    assert vcloud.client("lambda").list_functions()["Functions"] == []


SCHEDULE = """
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Every:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: rate(10 minutes)
      FlexibleTimeWindow: {Mode: "OFF"}
      Target:
        Arn: !GetAtt Queue.Arn
        RoleArn: arn:aws:iam::123456789012:role/scheduler
        Input: '{"tick": true}'
Outputs:
  Url: {Value: !Ref Queue}
"""


def test_scheduler_schedule_runs_on_the_virtual_clock(vcloud, cfn):
    cfn.create_stack(StackName="sched", TemplateBody=SCHEDULE)
    assert status(cfn, "sched") == "CREATE_COMPLETE", events(cfn, "sched")
    assert "emulated with an EventBridge rule" in [e for e in events(cfn, "sched") if e[0] == "Every"][-1][2]
    vcloud.clock.advance(1201)
    sqs = vcloud.client("sqs")
    got = sqs.receive_message(QueueUrl=outputs(cfn, "sched")["Url"], MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ['{"tick": true}', '{"tick": true}']
    once = SCHEDULE.replace("rate(10 minutes)", "at(2030-01-01T00:00:00)")
    cfn.create_stack(StackName="once", TemplateBody=once)
    assert "no one-time at() expressions" in [e[2] for e in events(cfn, "once") if e[1] == "CREATE_FAILED"][0]


def test_more_intrinsics_in_outputs(cfn):
    body = """
Mappings:
  Sizes: {dev: {Memory: "128"}, prod: {Memory: "1024"}}
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  NotDev: !Not [!Equals [!Ref Env, dev]]
  Both: !And [!Condition NotDev, !Or [!Equals [a, a], !Equals [a, b]]]
Resources:
  Q: {Type: AWS::SQS::Queue}
Outputs:
  Memory: {Value: !FindInMap [Sizes, !Ref Env, Memory]}
  Zone: {Value: !Select [1, !GetAZs ""]}
  Encoded: {Value: !Base64 hi}
  Literal: {Value: !Sub "${!NotAVariable}-${AWS::Partition}-${AWS::URLSuffix}"}
  OnlyProd: {Value: true, Condition: Both}
"""
    cfn.create_stack(StackName="fx", TemplateBody=body)
    assert outputs(cfn, "fx") == {"Memory": "1024", "Zone": "us-east-1b", "Encoded": "aGk=",
                                  "Literal": "${NotAVariable}-aws-amazonaws.com", "OnlyProd": "true"}


def test_a_full_bucket_fails_the_delete_until_emptied(vcloud, cfn):
    cfn.create_stack(StackName="full", TemplateBody="Resources:\n  B: {Type: AWS::S3::Bucket}\n  T: {Type: AWS::SNS::Topic}\n")
    bucket = cfn.describe_stack_resource(StackName="full", LogicalResourceId="B")["StackResourceDetail"][
        "PhysicalResourceId"]
    s3 = vcloud.client("s3")
    s3.put_object(Bucket=bucket, Key="keep.txt", Body=b"x")
    cfn.delete_stack(StackName="full")
    stack = cfn.describe_stacks(StackName="full")["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to delete: [B]. "
    reason = [e[2] for e in events(cfn, "full") if e[1] == "DELETE_FAILED"][0]
    assert "(Service: S3, Status Code: 409" in reason
    s3.delete_object(Bucket=bucket, Key="keep.txt")
    cfn.delete_stack(StackName="full")
    assert s3.list_buckets()["Buckets"] == [] and vcloud.client("sns").list_topics()["Topics"] == []


def test_http_api_properties_are_updated_in_place(vcloud, cfn):
    v1 = ("Resources:\n  Api:\n    Type: AWS::ApiGatewayV2::Api\n"
          "    Properties: {Name: notes, ProtocolType: HTTP, Description: first}\n")
    cfn.create_stack(StackName="api", TemplateBody=v1)
    api_id = cfn.describe_stack_resource(StackName="api", LogicalResourceId="Api")["StackResourceDetail"][
        "PhysicalResourceId"]
    cfn.update_stack(StackName="api", TemplateBody=v1.replace("Description: first", "Description: second"))
    cfn.get_waiter("stack_update_complete").wait(StackName="api")
    api = vcloud.client("apigatewayv2").get_api(ApiId=api_id)  # the same API, modified
    assert api["Description"] == "second"
