"""Resource handlers: how each CloudFormation resource type is created, updated and deleted.

Every handler calls the Cloud's own services through in-process botocore clients
(``ctx.client("sqs")``), so the engine knows no backend: a stack is a list of the same calls a
learner could make. IAM resources are recorded only (minilambda does not enforce IAM).
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import AwsError

INLINE_FILES = {"python": "index.py", "nodejs": "index.js"}


@dataclass(frozen=True)
class Provisioned:
    """What a created resource is: its ``Ref`` value (physical id) and its ``Fn::GetAtt`` attributes."""

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # said in the resource's event, e.g. "recorded; IAM is not enforced"


@dataclass
class ResourceContext:
    """What a handler may use: clients of the Cloud's services and naming helpers."""

    client: Callable[[str], Any]
    stack_name: str
    logical_id: str
    region: str
    account_id: str
    random_suffix: Callable[[int], str]

    def name(self, max_length: int = 64, *, lower: bool = False, suffix: str = "") -> str:
        """A generated physical name as CloudFormation makes one: ``<stack>-<logical>-<RANDOM>``."""
        tail = "-" + self.random_suffix(12) + suffix
        head = f"{self.stack_name}-{self.logical_id}"[: max_length - len(tail)]
        out = head + tail
        return out.lower() if lower else out

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id}:{resource}"


class Handler(abc.ABC):
    """Base class: subclasses implement ``create``, and ``delete`` or ``removed_by``; ``update`` in
    place if they can. A subclass missing either fails when it is defined or instantiated."""

    service = ""
    replace_on: tuple[str, ...] = ()  # properties whose change needs a new resource
    name_property: str | None = None  # a custom name makes replacement impossible
    removed_by: tuple[str, str] | None = None  # (client method, its parameter): delete by physical id

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        still_abstract = getattr(cls.create, "__isabstractmethod__", False)  # an intermediate base
        if not still_abstract and cls.delete is Handler.delete and cls.removed_by is None:
            raise TypeError(f"resource handler {cls.__name__} must define delete() or set removed_by")

    @abc.abstractmethod
    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Provisioned:
        """Make the resource from its (resolved) properties."""

    def update(self, ctx: ResourceContext, current: Provisioned, old: dict[str, Any],
               new: dict[str, Any]) -> Provisioned | None:
        """Change the resource in place; None means it must be replaced."""
        return None

    def delete(self, ctx: ResourceContext, current: Provisioned, props: dict[str, Any]) -> None:
        """Remove the resource: by default one ``removed_by`` call with its physical id (already gone is fine)."""
        if self.removed_by is None:  # unreachable for a subclass: __init_subclass__ refuses it
            raise TypeError(f"resource handler {type(self).__name__} has no removed_by")
        method, parameter = self.removed_by
        client = ctx.client(self.service)
        _ignore_missing(lambda: getattr(client, method)(**{parameter: current.physical_id}))


def _only(client: Any, operation: str, params: dict[str, Any], rename: Callable[[str], str] = str) -> dict:
    """Keep the parameters the operation accepts (by botocore's model), renamed by *rename*."""
    model = client.meta.service_model.operation_model(operation).input_shape
    members = model.members if model is not None else {}
    out = {}
    for key, value in params.items():
        name = rename(key)
        if name in members and value is not None:
            out[name] = value
    return out


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _ignore_missing(call: Callable[[], Any], *codes: str) -> None:
    """Deleting what is already gone is success for CloudFormation."""
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in codes + ("ResourceNotFoundException", "NotFoundException", "NotFound",
                                "NoSuchBucket", "AWS.SimpleQueueService.NonExistentQueue"):
            raise


# -- Lambda --------------------------------------------------------------------------------


def _zip_code(ctx: ResourceContext, code: dict[str, Any], runtime: str) -> bytes:
    """A deployment package from CloudFormation's ``Code``: inline text (→ index.py) or S3."""
    from ..lambda_.code import zip_files

    if isinstance(code.get("ZipFile"), str):
        family = next((k for k in INLINE_FILES if runtime.startswith(k)), None)
        if family is None:
            raise AwsError("InvalidRequest", f"Inline code (ZipFile) is only for Node.js and Python runtimes, "
                           f"not {runtime}", 400, error_type=None)
        return zip_files({INLINE_FILES[family]: code["ZipFile"]})
    if code.get("S3Bucket") and code.get("S3Key"):
        s3 = ctx.client("s3")
        return s3.get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read()
    raise AwsError("InvalidRequest", "Code needs ZipFile (inline) or S3Bucket and S3Key; container images "
                   "(ImageUri) are not simulated", 400, error_type=None)


class Function(Handler):
    service = "lambda"
    replace_on = ("FunctionName", "PackageType")
    name_property = "FunctionName"
    skip = {"Code", "Tags", "FunctionName", "SnapStart", "RecursiveLoop", "RuntimeManagementConfig"}
    removed_by = ("delete_function", "FunctionName")

    def _config(self, lam: Any, props: dict[str, Any], op: str) -> dict[str, Any]:
        config = {k: v for k, v in props.items() if k not in self.skip}
        return _only(lam, op, config)

    def create(self, ctx, props):
        lam = ctx.client("lambda")
        name = props.get("FunctionName") or ctx.name(64)
        params = self._config(lam, props, "CreateFunction")
        params.update(FunctionName=name, Code={"ZipFile": _zip_code(ctx, props.get("Code", {}),
                                                                     props.get("Runtime", ""))})
        out = lam.create_function(**params)
        return Provisioned(name, {"Arn": out["FunctionArn"]})

    def update(self, ctx, current, old, new):
        lam = ctx.client("lambda")
        if new.get("Code") != old.get("Code"):
            lam.update_function_code(FunctionName=current.physical_id,
                                     ZipFile=_zip_code(ctx, new.get("Code", {}), new.get("Runtime", "")))
        config = self._config(lam, new, "UpdateFunctionConfiguration")
        if config != self._config(lam, old, "UpdateFunctionConfiguration"):
            lam.update_function_configuration(FunctionName=current.physical_id, **config)
        return current


class Version(Handler):
    service = "lambda"

    def create(self, ctx, props):
        lam = ctx.client("lambda")
        out = lam.publish_version(**_only(lam, "PublishVersion", props))
        return Provisioned(out["FunctionArn"], {"Version": out["Version"], "FunctionArn": out["FunctionArn"]})

    def delete(self, ctx, current, props):
        name, version = current.physical_id.rsplit(":", 1)
        _ignore_missing(lambda: ctx.client("lambda").delete_function(FunctionName=name, Qualifier=version))


class Alias(Handler):
    service = "lambda"
    replace_on = ("FunctionName", "Name")

    def create(self, ctx, props):
        lam = ctx.client("lambda")
        out = lam.create_alias(**_only(lam, "CreateAlias", props))
        return Provisioned(out["AliasArn"], {"AliasArn": out["AliasArn"]})

    def update(self, ctx, current, old, new):
        lam = ctx.client("lambda")
        lam.update_alias(**_only(lam, "UpdateAlias", new))
        return current

    def delete(self, ctx, current, props):
        _ignore_missing(lambda: ctx.client("lambda").delete_alias(FunctionName=props["FunctionName"],
                                                                  Name=props["Name"]))


class Permission(Handler):
    """``lambda:AddPermission``; where the Cloud's Lambda has no resource policies yet, recorded."""

    service = "lambda"
    replace_on = ("FunctionName", "Action", "Principal", "SourceArn", "SourceAccount", "FunctionUrlAuthType",
                  "InvokedViaFunctionUrl")

    def create(self, ctx, props):
        from botocore.exceptions import ClientError

        lam = ctx.client("lambda")
        sid = ctx.name(100)
        params = _only(lam, "AddPermission", props)
        try:
            lam.add_permission(StatementId=sid, **params)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UnknownOperationException":
                raise
            return Provisioned(sid, note="recorded; this Cloud's Lambda does not keep resource policies")
        return Provisioned(sid)

    def delete(self, ctx, current, props):
        if current.note:
            return
        _ignore_missing(lambda: ctx.client("lambda").remove_permission(FunctionName=props["FunctionName"],
                                                                       StatementId=current.physical_id))


class EventSourceMapping(Handler):
    service = "lambda"
    replace_on = ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp")
    removed_by = ("delete_event_source_mapping", "UUID")

    def create(self, ctx, props):
        lam = ctx.client("lambda")
        out = lam.create_event_source_mapping(**_only(lam, "CreateEventSourceMapping", props))
        return Provisioned(out["UUID"], {"Id": out["UUID"], "EventSourceMappingArn":
                                         out.get("EventSourceMappingArn", "")})

    def update(self, ctx, current, old, new):
        lam = ctx.client("lambda")
        params = _only(lam, "UpdateEventSourceMapping", new)
        lam.update_event_source_mapping(UUID=current.physical_id, **params)
        return current


class LayerVersion(Handler):
    service = "lambda"
    replace_on = ("Content", "LayerName", "CompatibleRuntimes", "CompatibleArchitectures", "Description")

    def create(self, ctx, props):
        lam = ctx.client("lambda")
        content = props.get("Content") or {}
        data = _zip_code(ctx, content, "") if content.get("S3Bucket") else None
        if data is None:
            raise AwsError("InvalidRequest", "LayerVersion Content needs S3Bucket and S3Key", 400, error_type=None)
        params = _only(lam, "PublishLayerVersion", {k: v for k, v in props.items() if k != "Content"})
        params.setdefault("LayerName", ctx.name(64))
        out = lam.publish_layer_version(Content={"ZipFile": data}, **params)
        return Provisioned(out["LayerVersionArn"], {"LayerVersionArn": out["LayerVersionArn"]})

    def delete(self, ctx, current, props):
        from botocore.exceptions import ClientError

        name, number = current.physical_id.rsplit(":", 1)
        lam = ctx.client("lambda")
        try:
            lam.delete_layer_version(LayerName=name.rsplit(":", 1)[-1], VersionNumber=int(number))
        except ClientError as exc:  # the Cloud's Lambda may not offer DeleteLayerVersion
            if exc.response["Error"]["Code"] not in ("UnknownOperationException", "ResourceNotFoundException"):
                raise


class EventInvokeConfig(Handler):
    service = "lambda"
    replace_on = ("FunctionName", "Qualifier")

    def create(self, ctx, props):
        lam = ctx.client("lambda")
        lam.put_function_event_invoke_config(**_only(lam, "PutFunctionEventInvokeConfig", props))
        return Provisioned(f"{props['FunctionName']}:{props.get('Qualifier', '$LATEST')}")

    def update(self, ctx, current, old, new):
        self.create(ctx, new)
        return current

    def delete(self, ctx, current, props):
        lam = ctx.client("lambda")
        _ignore_missing(lambda: lam.delete_function_event_invoke_config(
            FunctionName=props["FunctionName"], Qualifier=props.get("Qualifier", "$LATEST")))


class FunctionUrl(Handler):
    """``AWS::Lambda::Url``: ``Ref`` is the function's ARN; ``Fn::GetAtt`` ``FunctionArn`` and ``FunctionUrl``."""

    service = "lambda"
    replace_on = ("TargetFunctionArn", "Qualifier")

    @staticmethod
    def _target(props: dict[str, Any]) -> dict[str, Any]:
        target = {"FunctionName": props.get("TargetFunctionArn")}
        if props.get("Qualifier"):
            target["Qualifier"] = props["Qualifier"]
        return target

    def create(self, ctx, props):
        lam = ctx.client("lambda")
        out = lam.create_function_url_config(**_only(lam, "CreateFunctionUrlConfig", {**props, **self._target(props)}))
        return Provisioned(out["FunctionArn"], {"FunctionArn": out["FunctionArn"], "FunctionUrl": out["FunctionUrl"]})

    def update(self, ctx, current, old, new):
        lam = ctx.client("lambda")
        params = {"AuthType": new.get("AuthType"), "InvokeMode": new.get("InvokeMode") or "BUFFERED",
                  "Cors": new.get("Cors") or {}}
        out = lam.update_function_url_config(**self._target(new), **params)
        return Provisioned(current.physical_id, {"FunctionArn": out["FunctionArn"], "FunctionUrl": out["FunctionUrl"]})

    def delete(self, ctx, current, props):
        lam = ctx.client("lambda")
        _ignore_missing(lambda: lam.delete_function_url_config(**self._target(props)))


# -- storage and messaging ----------------------------------------------------------------


class Table(Handler):
    service = "dynamodb"
    replace_on = ("TableName", "KeySchema", "LocalSecondaryIndexes")
    name_property = "TableName"
    removed_by = ("delete_table", "TableName")

    def create(self, ctx, props):
        ddb = ctx.client("dynamodb")
        params = dict(props)
        params["TableName"] = props.get("TableName") or ctx.name(255)
        stream = props.get("StreamSpecification")
        if stream:
            params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        if "SSESpecification" in props:
            params["SSESpecification"] = {"Enabled": bool(props["SSESpecification"].get("SSEEnabled"))}
        params.setdefault("BillingMode", "PROVISIONED" if "ProvisionedThroughput" in props else "PROVISIONED")
        out = ddb.create_table(**_only(ddb, "CreateTable", params))["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=params["TableName"], TimeToLiveSpecification=ttl)
        return Provisioned(params["TableName"], self._attributes(out))

    @staticmethod
    def _attributes(desc: dict[str, Any]) -> dict[str, Any]:
        attrs = {"Arn": desc["TableArn"]}
        if desc.get("LatestStreamArn"):
            attrs["StreamArn"] = desc["LatestStreamArn"]
        return attrs

    def update(self, ctx, current, old, new):
        ddb = ctx.client("dynamodb")
        params: dict[str, Any] = {}
        if new.get("BillingMode") != old.get("BillingMode"):
            params["BillingMode"] = new.get("BillingMode", "PROVISIONED")
        if new.get("ProvisionedThroughput") != old.get("ProvisionedThroughput") and new.get("ProvisionedThroughput"):
            params["ProvisionedThroughput"] = new["ProvisionedThroughput"]
        if new.get("StreamSpecification") != old.get("StreamSpecification"):
            spec = new.get("StreamSpecification")
            params["StreamSpecification"] = ({"StreamEnabled": True, "StreamViewType": spec["StreamViewType"]}
                                             if spec else {"StreamEnabled": False})
        if params:
            ddb.update_table(TableName=current.physical_id, **params)
        if new.get("TimeToLiveSpecification") != old.get("TimeToLiveSpecification"):
            ttl = new.get("TimeToLiveSpecification") or {**(old.get("TimeToLiveSpecification") or {}),
                                                         "Enabled": False}
            ddb.update_time_to_live(TableName=current.physical_id, TimeToLiveSpecification=ttl)
        desc = ddb.describe_table(TableName=current.physical_id)["Table"]
        return Provisioned(current.physical_id, self._attributes(desc))


class Queue(Handler):
    service = "sqs"
    replace_on = ("QueueName", "FifoQueue")
    name_property = "QueueName"
    removed_by = ("delete_queue", "QueueUrl")

    @staticmethod
    def _attrs(props: dict[str, Any]) -> dict[str, str]:
        out = {}
        for k, v in props.items():
            if k in ("QueueName", "Tags"):
                continue
            out[k] = json.dumps(v) if isinstance(v, (dict, list)) else (str(v).lower() if isinstance(v, bool)
                                                                         else str(v))
        return out

    def create(self, ctx, props):
        sqs = ctx.client("sqs")
        fifo = str(props.get("FifoQueue", "")).lower() == "true"
        name = props.get("QueueName") or ctx.name(80, suffix=".fifo" if fifo else "")
        url = sqs.create_queue(QueueName=name, Attributes=self._attrs(props))["QueueUrl"]
        arn = ctx.arn("sqs", name)
        return Provisioned(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    def update(self, ctx, current, old, new):
        attrs = self._attrs(new)
        if attrs:
            ctx.client("sqs").set_queue_attributes(QueueUrl=current.physical_id, Attributes=attrs)
        return current


class Topic(Handler):
    service = "sns"
    replace_on = ("TopicName", "FifoTopic")
    name_property = "TopicName"
    removed_by = ("delete_topic", "TopicArn")

    def create(self, ctx, props):
        sns = ctx.client("sns")
        name = props.get("TopicName") or ctx.name(256)
        arn = sns.create_topic(Name=name)["TopicArn"]
        if props.get("DisplayName"):
            sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue=props["DisplayName"])
        for sub in props.get("Subscription") or []:
            sns.subscribe(TopicArn=arn, Protocol=sub["Protocol"], Endpoint=sub["Endpoint"])
        return Provisioned(arn, {"TopicArn": arn, "TopicName": name})

    def update(self, ctx, current, old, new):
        if new.get("Subscription") != old.get("Subscription"):
            return None
        return current


class Subscription(Handler):
    service = "sns"
    replace_on = ("TopicArn", "Protocol", "Endpoint")
    removed_by = ("unsubscribe", "SubscriptionArn")

    def create(self, ctx, props):
        sns = ctx.client("sns")
        attrs = {k: (json.dumps(v) if isinstance(v, (dict, list)) else str(v).lower() if isinstance(v, bool)
                     else str(v))
                 for k, v in props.items() if k in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope",
                                                     "RedrivePolicy", "DeliveryPolicy")}
        arn = sns.subscribe(TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"],
                            Attributes=attrs)["SubscriptionArn"]
        return Provisioned(arn, {"Arn": arn})


_S3_KINDS = (("LambdaConfigurations", "Function", "LambdaFunctionConfigurations", "LambdaFunctionArn"),
             ("QueueConfigurations", "Queue", "QueueConfigurations", "QueueArn"),
             ("TopicConfigurations", "Topic", "TopicConfigurations", "TopicArn"))


class Bucket(Handler):
    service = "s3"
    replace_on = ("BucketName",)
    name_property = "BucketName"
    removed_by = ("delete_bucket", "Bucket")

    @staticmethod
    def notification(config: dict[str, Any]) -> dict[str, Any]:
        """CloudFormation's ``NotificationConfiguration`` → S3's ``PutBucketNotificationConfiguration``."""
        out: dict[str, Any] = {}
        for cfn_key, cfn_arn, api_key, api_arn in _S3_KINDS:
            items = []
            for c in config.get(cfn_key) or []:
                item: dict[str, Any] = {api_arn: c[cfn_arn], "Events": [c["Event"]]}
                rules = ((c.get("Filter") or {}).get("S3Key") or {}).get("Rules")
                if rules:
                    item["Filter"] = {"Key": {"FilterRules": rules}}
                items.append(item)
            if items:
                out[api_key] = items
        return out

    def create(self, ctx, props):
        s3 = ctx.client("s3")
        name = props.get("BucketName") or ctx.name(63, lower=True)
        s3.create_bucket(Bucket=name)
        provisioned = Provisioned(name, self._attributes(ctx, name), self._configure(s3, name, props))
        return provisioned

    def _configure(self, s3: Any, name: str, props: dict[str, Any]) -> str:
        from botocore.exceptions import ClientError

        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration=self.notification(props.get("NotificationConfiguration") or {}))
        cors = (props.get("CorsConfiguration") or {}).get("CorsRules")
        if not cors:
            return ""
        rules = [{k2: r[k] for k, k2 in (("AllowedHeaders", "AllowedHeaders"), ("AllowedMethods", "AllowedMethods"),
                                          ("AllowedOrigins", "AllowedOrigins"), ("ExposedHeaders", "ExposeHeaders"),
                                          ("MaxAge", "MaxAgeSeconds"), ("Id", "ID")) if k in r} for r in cors]
        try:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NotImplemented":
                raise
            return "CorsConfiguration recorded; this Cloud's S3 does not answer CORS preflights"
        return ""

    def _attributes(self, ctx: ResourceContext, name: str) -> dict[str, Any]:
        return {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{ctx.region}.amazonaws.com"}

    def update(self, ctx, current, old, new):
        note = self._configure(ctx.client("s3"), current.physical_id, new)
        return Provisioned(current.physical_id, current.attributes, note)


class Rule(Handler):
    service = "events"
    replace_on = ("Name", "EventBusName")
    name_property = "Name"

    def create(self, ctx, props):
        events = ctx.client("events")
        name = props.get("Name") or ctx.name(64)
        return Provisioned(name, {"Arn": self._put(events, name, props)})

    @staticmethod
    def _put(events: Any, name: str, props: dict[str, Any]) -> str:
        params = {k: v for k, v in props.items() if k not in ("Targets", "Name")}
        if isinstance(params.get("EventPattern"), (dict, list)):
            params["EventPattern"] = json.dumps(params["EventPattern"])
        arn = events.put_rule(Name=name, **_only(events, "PutRule", params))["RuleArn"]
        targets = []
        for t in props.get("Targets") or []:
            t = dict(t)
            if isinstance(t.get("Input"), (dict, list)):
                t["Input"] = json.dumps(t["Input"])
            targets.append(t)
        if targets:
            events.put_targets(Rule=name, Targets=targets)
        return arn

    def update(self, ctx, current, old, new):
        events = ctx.client("events")
        old_ids = [t["Id"] for t in old.get("Targets") or []]
        if old_ids:
            events.remove_targets(Rule=current.physical_id, Ids=old_ids)
        return Provisioned(current.physical_id, {"Arn": self._put(events, current.physical_id, new)})

    def delete(self, ctx, current, props):
        events = ctx.client("events")
        ids = [t["Id"] for t in props.get("Targets") or []]
        if ids:
            _ignore_missing(lambda: events.remove_targets(Rule=current.physical_id, Ids=ids))
        _ignore_missing(lambda: events.delete_rule(Name=current.physical_id))


class Schedule(Handler):
    """``AWS::Scheduler::Schedule`` as an EventBridge rule with the same expression and target:
    the Cloud has no EventBridge Scheduler. ``at()`` expressions and non-UTC time zones are
    refused; flexible time windows are ignored (the rule fires at the exact time)."""

    service = "events"
    replace_on = ("Name", "GroupName")
    name_property = "Name"

    def create(self, ctx, props):
        expression = str(props.get("ScheduleExpression", ""))
        if expression.startswith("at("):
            raise AwsError("InvalidRequest", "minilambda emulates AWS::Scheduler::Schedule with an EventBridge "
                           "rule, which has no one-time at() expressions; use rate() or cron()", 400,
                           error_type=None)
        if props.get("ScheduleExpressionTimezone", "UTC") not in ("UTC", "Etc/UTC"):
            raise AwsError("InvalidRequest", "minilambda's emulated schedules run in UTC only "
                           "(ScheduleExpressionTimezone)", 400, error_type=None)
        name = props.get("Name") or ctx.name(64)
        self._put(ctx.client("events"), name, props)
        group = props.get("GroupName", "default")
        return Provisioned(name, {"Arn": ctx.arn("scheduler", f"schedule/{group}/{name}")},
                           note="emulated with an EventBridge rule of the same name")

    @staticmethod
    def _put(events: Any, name: str, props: dict[str, Any]) -> None:
        target = props.get("Target") or {}
        state = "ENABLED" if props.get("State", "ENABLED") == "ENABLED" else "DISABLED"
        events.put_rule(Name=name, ScheduleExpression=props["ScheduleExpression"], State=state,
                        **({"Description": props["Description"]} if props.get("Description") else {}))
        entry = {"Id": "scheduler-target", "Arn": target["Arn"]}
        if target.get("Input"):
            entry["Input"] = target["Input"]
        events.put_targets(Rule=name, Targets=[entry])

    def update(self, ctx, current, old, new):
        self._put(ctx.client("events"), current.physical_id, new)
        return current

    def delete(self, ctx, current, props):
        events = ctx.client("events")
        _ignore_missing(lambda: events.remove_targets(Rule=current.physical_id, Ids=["scheduler-target"]))
        _ignore_missing(lambda: events.delete_rule(Name=current.physical_id))


class LogGroup(Handler):
    service = "logs"
    replace_on = ("LogGroupName",)
    name_property = "LogGroupName"
    removed_by = ("delete_log_group", "logGroupName")

    def create(self, ctx, props):
        logs = ctx.client("logs")
        name = props.get("LogGroupName") or ctx.name(512)
        logs.create_log_group(logGroupName=name)
        return Provisioned(name, {"Arn": ctx.arn("logs", f"log-group:{name}:*")})

    def update(self, ctx, current, old, new):
        return current


# -- Cognito --------------------------------------------------------------------------------


class UserPool(Handler):
    service = "cognito-idp"
    replace_on = ("UserPoolName", "UsernameAttributes", "AliasAttributes", "Schema")
    removed_by = ("delete_user_pool", "UserPoolId")

    def create(self, ctx, props):
        idp = ctx.client("cognito-idp")
        params = {**props, "PoolName": props.get("UserPoolName") or ctx.name(128)}
        if isinstance(params.get("UserPoolTags"), dict):
            params["UserPoolTags"] = params["UserPoolTags"]
        pool = idp.create_user_pool(**_only(idp, "CreateUserPool", params))["UserPool"]
        pid = pool["Id"]
        provider = f"cognito-idp.{ctx.region}.amazonaws.com/{pid}"
        return Provisioned(pid, {"Arn": pool.get("Arn") or ctx.arn("cognito-idp", f"userpool/{pid}"),
                                 "ProviderName": provider, "ProviderURL": f"https://{provider}", "UserPoolId": pid})

    def update(self, ctx, current, old, new):
        idp = ctx.client("cognito-idp")
        idp.update_user_pool(UserPoolId=current.physical_id, **_only(idp, "UpdateUserPool", new))
        return current


class UserPoolClient(Handler):
    service = "cognito-idp"
    replace_on = ("UserPoolId", "GenerateSecret")

    def create(self, ctx, props):
        idp = ctx.client("cognito-idp")
        params = {**props, "ClientName": props.get("ClientName") or ctx.name(128)}
        client = idp.create_user_pool_client(**_only(idp, "CreateUserPoolClient", params))["UserPoolClient"]
        attrs = {"ClientId": client["ClientId"], "Name": client["ClientName"]}
        if client.get("ClientSecret"):
            attrs["ClientSecret"] = client["ClientSecret"]
        return Provisioned(client["ClientId"], attrs)

    def update(self, ctx, current, old, new):
        idp = ctx.client("cognito-idp")
        params = _only(idp, "UpdateUserPoolClient", {**new, "ClientId": current.physical_id})
        idp.update_user_pool_client(**params)
        return current

    def delete(self, ctx, current, props):
        _ignore_missing(lambda: ctx.client("cognito-idp").delete_user_pool_client(
            UserPoolId=props["UserPoolId"], ClientId=current.physical_id))


# -- IAM: recorded, not enforced -------------------------------------------------------------


class Recorded(Handler):
    """IAM resources and bucket policies: given names and ARNs so templates resolve, but nothing
    is enforced."""

    def __init__(self, kind: str, name_property: str | None, arn_kind: str | None,
                 note: str = "recorded; IAM is not enforced by minilambda") -> None:
        self.kind = kind
        self.name_property = name_property
        self.arn_kind = arn_kind
        self.note = note

    def create(self, ctx, props):
        name = (props.get(self.name_property) if self.name_property else None) or ctx.name(64)
        attrs: dict[str, Any] = {}
        if self.arn_kind:
            attrs["Arn"] = f"arn:aws:iam::{ctx.account_id}:{self.arn_kind}{props.get('Path', '/')}{name}"
            attrs[f"{self.arn_kind.capitalize()}Id"] = "AROA" + ctx.random_suffix(17)
        return Provisioned(name, attrs, note=self.note)

    def update(self, ctx, current, old, new):
        return current

    def delete(self, ctx, current, props):
        return None
