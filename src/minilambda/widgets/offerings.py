"""Offerings (module 02): the AWS serverless map of the course notes, with a live demo per simulated service.

AWS: https://aws.amazon.com/serverless/
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Offering:
    """One AWS serverless service: what it is for, how it is paid, and whether the Cloud runs it."""

    name: str
    category: str
    purpose: str
    pay_for: str
    url: str
    runnable: bool
    module: str = ""


OFFERINGS: tuple[Offering, ...] = (
    Offering("AWS Lambda", "compute", "run code on events, no servers", "requests + GB-seconds",
             "https://docs.aws.amazon.com/lambda/latest/dg/welcome.html", True, "03–06, 09"),
    Offering("AWS Fargate", "compute", "run containers without managing servers", "vCPU + GB per second",
             "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate.html", False),
    Offering("Amazon API Gateway", "API", "HTTP/REST/WebSocket front door for functions", "requests",
             "https://docs.aws.amazon.com/apigateway/latest/developerguide/welcome.html", True, "07"),
    Offering("Amazon S3", "data", "object storage; emits events on changes", "GB-month + requests",
             "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html", True, "06"),
    Offering("Amazon DynamoDB", "data", "key-value/document database, on-demand capacity",
             "request units + GB-month",
             "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Introduction.html", True, "08"),
    Offering("Amazon SQS", "integration", "queues that decouple producers and consumers", "requests",
             "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/welcome.html", True, "06"),
    Offering("Amazon SNS", "integration", "publish/subscribe fan-out", "publishes + deliveries",
             "https://docs.aws.amazon.com/sns/latest/dg/welcome.html", True, "06"),
    Offering("Amazon EventBridge", "integration", "event bus with rules and schedules", "events",
             "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-what-is.html", True, "06"),
    Offering("AWS Step Functions", "integration", "workflows (state machines) of service calls",
             "state transitions",
             "https://docs.aws.amazon.com/step-functions/latest/dg/welcome.html", False),
    Offering("Amazon Cognito", "identity", "user sign-up/sign-in, JWTs for APIs", "monthly active users",
             "https://docs.aws.amazon.com/cognito/latest/developerguide/what-is-amazon-cognito.html", True, "07–08"),
    Offering("Amazon CloudWatch Logs", "operations", "every function's log lines", "GB ingested + stored",
             "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/WhatIsCloudWatchLogs.html", True, "03–04"),
)

_ROLE = "arn:aws:iam::123456789012:role/lambda-role"
_HELLO = "def handler(event, context):\n    return {'hello': event.get('name', 'world')}\n"


def _queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _demo_lambda(cloud: Any) -> str:
    from .. import zip_files

    lam = cloud.client("lambda")
    if "map-hello" not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]:
        lam.create_function(FunctionName="map-hello", Runtime="python3.12", Handler="app.handler", Role=_ROLE,
                            Code={"ZipFile": zip_files({"app.py": _HELLO})})
    out = lam.invoke(FunctionName="map-hello", Payload=b'{"name": "map"}')["Payload"].read().decode()
    inv = cloud.invocations[-1]
    return f"invoke map-hello -> {out} ({'cold' if inv.cold else 'warm'}, billed {inv.billed_ms} ms)"


def _demo_s3(cloud: Any) -> str:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="map-demo")
    s3.put_object(Bucket="map-demo", Key="hello.txt", Body=b"stored")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="map-demo")["Contents"]]
    return f"put hello.txt, list_objects_v2 -> {keys}"


def _demo_sqs(cloud: Any) -> str:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="map-demo")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="order 1")
    got = sqs.receive_message(QueueUrl=url).get("Messages", [])
    return f"send 'order 1', receive -> {[m['Body'] for m in got]}"


def _demo_sns(cloud: Any) -> str:
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    topic = sns.create_topic(Name="map-demo")["TopicArn"]
    url = sqs.create_queue(QueueName="map-demo-subscriber")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=_queue_arn(sqs, url))
    sns.publish(TopicArn=topic, Message="new order")
    cloud.clock.advance(1)
    body = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    return f"publish 'new order' -> the SQS subscriber got an envelope with Message={body['Message']!r}"


def _demo_events(cloud: Any) -> str:
    events, sqs = cloud.client("events"), cloud.client("sqs")
    url = sqs.create_queue(QueueName="map-demo-events")["QueueUrl"]
    events.put_rule(Name="map-demo", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="map-demo", Targets=[{"Id": "q", "Arn": _queue_arn(sqs, url)}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": '{"order": 1}'}])
    cloud.clock.advance(1)
    got = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    return f"put_events source=shop -> the rule matched and delivered detail {got['detail']}"


def _demo_logs(cloud: Any) -> str:
    _demo_lambda(cloud)
    logs = cloud.client("logs")
    events = logs.filter_log_events(logGroupName="/aws/lambda/map-hello")["events"]
    return "last log line of map-hello: " + events[-1]["message"].strip()


def _demo_api(cloud: Any) -> str:
    _demo_lambda(cloud)
    v2 = cloud.client("apigatewayv2")
    apis = [a for a in v2.get_apis()["Items"] if a["Name"] == "map-demo"]
    if not apis:  # an HTTP API quick-created in front of map-hello, with the permission API Gateway needs
        arn = cloud.client("lambda").get_function(FunctionName="map-hello")["Configuration"]["FunctionArn"]
        apis = [v2.create_api(Name="map-demo", ProtocolType="HTTP", Target=arn)]
        cloud.client("lambda").add_permission(FunctionName="map-hello", StatementId="map-demo-api",
                                              Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
    reply = cloud.http("GET", apis[0]["ApiEndpoint"] + "/hello")
    return f"GET {apis[0]['ApiEndpoint']}/hello -> {reply.status} {reply.body.decode()}"


def _demo_dynamodb(cloud: Any) -> str:
    ddb = cloud.client("dynamodb")
    if "map-demo" not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName="map-demo", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    ddb.put_item(TableName="map-demo", Item={"id": {"S": "order-1"}, "total": {"N": "12"}})
    item = ddb.get_item(TableName="map-demo", Key={"id": {"S": "order-1"}})["Item"]
    return f"put_item order-1, get_item -> {item}"


def _demo_cognito(cloud: Any) -> str:
    idp = cloud.client("cognito-idp")
    pools = [p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "map-demo"]
    pool = pools[0] if pools else idp.create_user_pool(PoolName="map-demo")["UserPool"]["Id"]
    clients = idp.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    client = clients[0]["ClientId"] if clients else \
        idp.create_user_pool_client(UserPoolId=pool, ClientName="app")["UserPoolClient"]["ClientId"]
    if not idp.list_users(UserPoolId=pool)["Users"]:
        idp.sign_up(ClientId=client, Username="ada@example.com", Password="Secret-123456")
        idp.admin_confirm_sign_up(UserPoolId=pool, Username="ada@example.com")
    tokens = idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": "Secret-123456"})
    return f"sign in ada@example.com -> {', '.join(sorted(tokens['AuthenticationResult']))}"


_DEMOS = {"Amazon API Gateway": _demo_api, "Amazon DynamoDB": _demo_dynamodb, "Amazon Cognito": _demo_cognito,
          "AWS Lambda": _demo_lambda, "Amazon S3": _demo_s3, "Amazon SQS": _demo_sqs, "Amazon SNS": _demo_sns,
          "Amazon EventBridge": _demo_events, "Amazon CloudWatch Logs": _demo_logs}


def run_offering_demo(cloud: Any, name: str) -> str:
    """Run the small live demo of *name* on *cloud* (a virtual-clock Cloud) and describe the result."""
    offering = next((o for o in OFFERINGS if o.name == name), None)
    if offering is None:
        msg = f"unknown offering {name!r}; choose one of {', '.join(o.name for o in OFFERINGS)}"
        raise ValueError(msg)
    if not offering.runnable:
        where = f" (module {offering.module})" if offering.module else ""
        return f"{name} is not simulated here{where}: read {offering.url}"
    return _DEMOS[name](cloud)


def offerings_map(cloud: Any):
    """Pick a service: its purpose, price model and doc link; Run demo runs it live on *cloud*.

    Give the map a Cloud of its own so it keeps working after the notebook closes its main one;
    a failed demo (a closed Cloud, say) is shown in the widget, not hidden in a log.
    """
    import ipywidgets as w

    from ._shell import dropdown

    picker = dropdown([o.name for o in OFFERINGS], "Amazon SQS", "service")
    info, result = w.HTML(), w.HTML()
    button = w.Button(description="▶ Run demo")  # no icon: Font Awesome fonts are not in the offline decks
    box = w.VBox([w.HBox([picker, button]), info, result])
    box.controls, box.summary, box.result, box.cloud = {"service": picker}, result, None, cloud

    def show(_change: Any = None) -> None:
        o = next(x for x in OFFERINGS if x.name == picker.value)
        info.value = (f"<b>{o.name}</b> ({o.category}): {o.purpose}. You pay for {o.pay_for}. "
                      f"<a href='{o.url}' target='_blank'>AWS docs</a>"
                      + (f" · course module {o.module}" if o.module else ""))
        button.disabled = not o.runnable
        result.value = "" if o.runnable else "<i>not simulated here</i>"

    def run(_button: Any = None) -> None:
        try:
            box.result = run_offering_demo(box.cloud, picker.value)
        except Exception as exc:  # shown to the learner: a widget callback's errors are otherwise invisible
            box.result = None
            result.value = f"<b>The demo failed:</b> {type(exc).__name__}: {exc}"
            return
        result.value = f"<code>{box.result}</code>"

    picker.observe(show, names="value")
    button.on_click(run)
    box.run = run
    show()
    return box
