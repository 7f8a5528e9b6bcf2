"""CloudFormation's wire API (AWS query protocol: form-encoded POST, XML answers).

Requests are parsed and answers written from botocore's own service model (so every field has
AWS's name and nesting); the operations call the ``Engine`` (the backend: stacks, change sets).
The dispatcher first checks each request against the model's constraints and answers a violation
with CloudFormation's ``ValidationError`` (``validation_rules``).
``CloudFormationApi.operations`` maps each botocore operation name it simulates to a handler; the
Dispatcher refuses the others.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import random
import re
from typing import Any, Callable

from ..errors import AwsError
from ..wire.adapters import Adapter, query_error, query_ok
from ..wire.messages import Request, Response
from ..wire.session import isolated_botocore_session
from ..wire.validation import Rules, query_params
from . import template as tpl
from .engine import Engine
from .intrinsics import template_error
from .stack import ChangeSet, Stack, StackResource

NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
# CloudFormation checks stack names beyond botocore's model (which has no pattern for them): a new
# stack's name, and the name or ARN naming an existing one (AWS's messages, e.g. ``Value '0MyStack'
# at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern:
# [a-zA-Z][-a-zA-Z0-9]*``; a new name is at most 128 characters, CloudFormation User Guide).
NEW_STACK_NAME = "[a-zA-Z][-a-zA-Z0-9]*"
STACK_NAME_OR_ARN = "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"


@functools.lru_cache(maxsize=None)
def _model() -> Any:
    """botocore's (immutable) CloudFormation model, loaded once per process."""
    return isolated_botocore_session().get_service_model("cloudformation")


parse_query = query_params  # form fields → nested data along the model (kept for existing callers)


def to_xml(value: Any, shape: Any) -> str:
    """Data → XML elements following *shape* (lists as ``<member>``, timestamps ISO 8601)."""
    from xml.sax.saxutils import escape

    kind = shape.type_name
    if kind == "structure":
        return "".join(f"<{name}>{to_xml(value[name], member)}</{name}>" for name, member in shape.members.items()
                       if value.get(name) is not None)
    if kind == "list":
        return "".join(f"<member>{to_xml(v, shape.member)}</member>" for v in value)
    if kind == "map":
        return "".join(f"<entry><key>{escape(str(k))}</key><value>{to_xml(v, shape.value)}</value></entry>"
                       for k, v in value.items())
    if kind == "timestamp":
        stamp = _dt.datetime.fromtimestamp(float(value), tz=_dt.timezone.utc)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    if kind == "boolean":
        return "true" if value else "false"
    return escape(str(value))


def _check_stack_name(action: str, name: str | None) -> None:
    """CloudFormation's ``ValidationError`` for a stack name it would refuse (``None``: not given)."""
    if name is None or (action == "CreateChangeSet" and name.startswith("arn:")):
        return
    new = action in ("CreateStack", "CreateChangeSet")
    pattern = NEW_STACK_NAME if new else STACK_NAME_OR_ARN
    problems = []
    if new and len(name) > 128:
        problems.append("Member must have length less than or equal to 128")
    if re.fullmatch(pattern, name) is None:
        problems.append(f"Member must satisfy regular expression pattern: {pattern}")
    if problems:
        count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected"
        details = "; ".join(f"Value '{name}' at 'stackName' failed to satisfy constraint: {p}" for p in problems)
        raise AwsError("ValidationError", f"{count}: {details}", 400, error_type=None)


class CloudFormationApi(Adapter):
    """``cloud.client("cloudformation")``: stacks, events, resources, templates, change sets."""

    service_name = "cloudformation"
    validates_input = True
    validation_rules = Rules(code="ValidationError", enums=True, type_code="ValidationError")

    def __init__(self, engine: Engine, rng: random.Random) -> None:
        self.engine = engine
        self._rng = rng

    @functools.cached_property
    def _model(self) -> Any:
        return _model()

    @functools.cached_property
    def operations(self) -> dict[str, Callable[[Request], Response]]:  # type: ignore[override]
        """The simulated operations (an ``op_<Name>`` method each), built on first use."""
        return {name: self._handler(name) for name in self._model.operation_names if hasattr(self, f"op_{name}")}

    def _handler(self, action: str) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            op = self._model.operation_model(action)
            args = parse_query(request.form(), op.input_shape) if op.input_shape is not None else {}
            _check_stack_name(action, args.get("StackName"))
            result = getattr(self, f"op_{action}")(args) or {}
            inner = to_xml(result, op.output_shape) if op.output_shape is not None else None
            return query_ok(action, NS, inner, self._rid())
        return handler

    def unknown_operation(self, request: Request) -> AwsError:
        action = request.operation or request.form().get("Action", "")
        return AwsError("InvalidAction", f"The action {action} is not valid for this web service "
                        "(or not simulated by minilambda).", 400, error_type=None)

    def _rid(self) -> str:
        import uuid

        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def error_response(self, err: AwsError, request: Request) -> Response:
        return query_error(err, NS, self._rid())

    # -- shapes ----------------------------------------------------------------------------

    @staticmethod
    def _params(args: dict[str, Any]) -> dict[str, str]:
        out = {}
        for p in args.get("Parameters") or []:
            if not p.get("ParameterKey"):
                raise AwsError("ValidationError", "Every member of Parameters needs a ParameterKey", 400,
                               error_type=None)
            if p.get("UsePreviousValue"):
                continue
            out[p["ParameterKey"]] = p.get("ParameterValue", "")
        return out

    @staticmethod
    def _body(args: dict[str, Any]) -> str | None:
        if args.get("TemplateURL") and not args.get("TemplateBody"):
            raise template_error("minilambda takes templates as TemplateBody (TemplateURL would need S3 "
                                 "website hosting); pass the text, or use python -m minilambda deploy")
        return args.get("TemplateBody")

    def _stack_shape(self, s: Stack) -> dict[str, Any]:
        out: dict[str, Any] = {
            "StackId": s.stack_id, "StackName": s.name, "CreationTime": s.created, "StackStatus": s.status,
            "DisableRollback": s.disable_rollback, "Tags": s.tags, "EnableTerminationProtection": False,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in s.parameters.items()],
            "NotificationARNs": [], "Capabilities": s.capabilities,
        }
        if s.reason:
            out["StackStatusReason"] = s.reason
        if s.description:
            out["Description"] = s.description
        if s.updated:
            out["LastUpdatedTime"] = s.updated
        if s.deleted:
            out["DeletionTime"] = s.deleted
        if s.outputs and s.status not in ("DELETE_COMPLETE", "ROLLBACK_COMPLETE"):
            out["Outputs"] = s.outputs
        return out

    @staticmethod
    def _resource_shape(s: Stack, res: StackResource, *, summary: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"LogicalResourceId": res.logical_id, "PhysicalResourceId": res.physical_id,
                               "ResourceType": res.type, "ResourceStatus": res.status,
                               "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"}}
        out["LastUpdatedTimestamp" if summary else "Timestamp"] = res.updated or s.created
        if not summary:
            out.update(StackName=s.name, StackId=s.stack_id)
        if res.reason:
            out["ResourceStatusReason"] = res.reason
        return out

    # -- stacks ----------------------------------------------------------------------------

    def op_CreateStack(self, a: dict[str, Any]) -> dict[str, Any]:
        body = self._body(a)
        if body is None:
            raise template_error("Either Template URL or Template Body must be specified.")
        s = self.engine.create_stack(a["StackName"], body, self._params(a), a.get("Capabilities") or [],
                                     disable_rollback=a.get("DisableRollback", False) or a.get("OnFailure") == "DO_NOTHING",
                                     tags=a.get("Tags"))
        return {"StackId": s.stack_id}

    def op_UpdateStack(self, a: dict[str, Any]) -> dict[str, Any]:
        s = self.engine.update_stack(a["StackName"], self._body(a), self._params(a), a.get("Capabilities") or [],
                                     use_previous_template=a.get("UsePreviousTemplate", False))
        return {"StackId": s.stack_id}

    def op_DeleteStack(self, a: dict[str, Any]) -> None:
        self.engine.delete_stack(a["StackName"])

    def op_DescribeStacks(self, a: dict[str, Any]) -> dict[str, Any]:
        name = a.get("StackName")
        if name:
            return {"Stacks": [self._stack_shape(self.engine.find(name, deleted=name.startswith("arn:")))]}
        with self.engine.lock:
            stacks = [s for s in self.engine.stacks.values() if s.status != "DELETE_COMPLETE"]
        return {"Stacks": [self._stack_shape(s) for s in stacks]}

    def op_ListStacks(self, a: dict[str, Any]) -> dict[str, Any]:
        wanted = set(a.get("StackStatusFilter") or [])
        with self.engine.lock:
            stacks = [s for s in self.engine.stacks.values() if not wanted or s.status in wanted]
        return {"StackSummaries": [{k: v for k, v in self._stack_shape(s).items() if k in (
            "StackId", "StackName", "CreationTime", "StackStatus", "StackStatusReason", "LastUpdatedTime",
            "DeletionTime", "DriftInformation")} | {"TemplateDescription": s.description or ""} for s in stacks]}

    def op_DescribeStackEvents(self, a: dict[str, Any]) -> dict[str, Any]:
        s = self.engine.find(a["StackName"], deleted=True)
        return {"StackEvents": [self._event_shape(e) for e in reversed(s.events)]}

    @staticmethod
    def _event_shape(e: Any) -> dict[str, Any]:
        from dataclasses import asdict

        out = asdict(e)
        for k in ("ResourceStatusReason", "ResourceProperties"):
            if not out[k]:
                del out[k]
        return out

    def op_DescribeStackResources(self, a: dict[str, Any]) -> dict[str, Any]:
        s = self.engine.find(self._stack_of(a), deleted=True)
        items = [res for res in s.resources.values()
                 if not a.get("LogicalResourceId") or res.logical_id == a["LogicalResourceId"]]
        return {"StackResources": [self._resource_shape(s, res) for res in items]}

    def _stack_of(self, a: dict[str, Any]) -> str:
        """``StackName``, or the stack holding ``PhysicalResourceId`` (DescribeStackResources takes either)."""
        if a.get("StackName"):
            return a["StackName"]
        physical = a.get("PhysicalResourceId")
        if not physical:
            raise AwsError("ValidationError", "Either StackName or PhysicalResourceId must be specified", 400,
                           error_type=None)
        with self.engine.lock:
            for s in self.engine.stacks.values():
                if any(res.physical_id == physical for res in s.resources.values()):
                    return s.stack_id
        raise AwsError("ValidationError", f"Stack for {physical} does not exist", 400, error_type=None)

    def op_DescribeStackResource(self, a: dict[str, Any]) -> dict[str, Any]:
        s = self.engine.find(a["StackName"], deleted=True)
        res = s.resources.get(a["LogicalResourceId"])
        if res is None:
            raise template_error(f"Resource {a['LogicalResourceId']} does not exist for stack {s.name}")
        detail = self._resource_shape(s, res, summary=True)
        detail.update(StackName=s.name, StackId=s.stack_id, Metadata="{}")
        return {"StackResourceDetail": detail}

    def op_ListStackResources(self, a: dict[str, Any]) -> dict[str, Any]:
        s = self.engine.find(a["StackName"], deleted=True)
        return {"StackResourceSummaries": [self._resource_shape(s, res, summary=True)
                                           for res in s.resources.values()]}

    def op_GetTemplate(self, a: dict[str, Any]) -> dict[str, Any]:
        if a.get("ChangeSetName"):
            cs = self.engine.find_change_set(a["ChangeSetName"], a.get("StackName"))
            return {"TemplateBody": cs.body, "StagesAvailable": ["Original"]}
        if not a.get("StackName"):
            raise AwsError("ValidationError", "Either StackName or ChangeSetName must be specified", 400,
                           error_type=None)
        s = self.engine.find(a["StackName"], deleted=True)
        if a.get("TemplateStage") == "Processed":
            return {"TemplateBody": tpl.dump(s.template), "StagesAvailable": ["Original", "Processed"]}
        return {"TemplateBody": s.body, "StagesAvailable": ["Original", "Processed"]}

    def op_ValidateTemplate(self, a: dict[str, Any]) -> dict[str, Any]:
        body = self._body(a) or ""
        template = tpl.load(body)
        tpl.check(body, self.engine.region)
        out: dict[str, Any] = {"Parameters": [self._param_decl(k, v) for k, v in
                                              (template.get("Parameters") or {}).items()]}
        if template.get("Description"):
            out["Description"] = template["Description"]
        if tpl.transforms(template):
            out["Capabilities"] = ["CAPABILITY_AUTO_EXPAND"]
            out["CapabilitiesReason"] = "The following resource(s) require capabilities: [AWS::Serverless-2016-10-31]"
            out["DeclaredTransforms"] = tpl.transforms(template)
        return out

    @staticmethod
    def _param_decl(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"ParameterKey": name, "NoEcho": str(spec.get("NoEcho", "false")).lower() == "true"}
        if "Default" in spec:
            out["DefaultValue"] = str(spec["Default"])
        if spec.get("Description"):
            out["Description"] = spec["Description"]
        return out

    def op_GetTemplateSummary(self, a: dict[str, Any]) -> dict[str, Any]:
        body = self._body(a) or (self.engine.find(a["StackName"]).body if a.get("StackName") else "")
        template = tpl.load(body)
        params = []
        for k, v in (template.get("Parameters") or {}).items():
            decl = self._param_decl(k, v)
            decl["ParameterType"] = v.get("Type", "String")
            params.append(decl)
        return {"Parameters": params, "ResourceTypes": sorted({r["Type"] for r in template["Resources"].values()}),
                "Version": str(template.get("AWSTemplateFormatVersion", "2010-09-09")),
                "DeclaredTransforms": tpl.transforms(template)}

    def op_ListExports(self, a: dict[str, Any]) -> dict[str, Any]:
        return {"Exports": [{"ExportingStackId": sid, "Name": name, "Value": value}
                            for name, (value, sid) in self.engine.live_exports().items()]}

    # -- change sets -------------------------------------------------------------------------

    def op_CreateChangeSet(self, a: dict[str, Any]) -> dict[str, Any]:
        cs = self.engine.create_change_set(a["StackName"], a["ChangeSetName"], self._body(a), self._params(a),
                                           a.get("Capabilities") or [], a.get("ChangeSetType") or "UPDATE",
                                           use_previous_template=a.get("UsePreviousTemplate", False),
                                           description=a.get("Description", ""), tags=a.get("Tags"))
        return {"Id": cs.arn, "StackId": cs.stack_id}

    def _change_set_shape(self, cs: ChangeSet) -> dict[str, Any]:
        out: dict[str, Any] = {"ChangeSetName": cs.name, "ChangeSetId": cs.arn, "StackId": cs.stack_id,
                               "StackName": cs.stack_name, "CreationTime": cs.created, "Status": cs.status,
                               "ExecutionStatus": cs.execution_status, "Capabilities": cs.capabilities,
                               "Parameters": [{"ParameterKey": k, "ParameterValue": v}
                                              for k, v in cs.parameters.items()],
                               "Changes": cs.changes, "NotificationARNs": [], "Tags": cs.tags,
                               "IncludeNestedStacks": False}
        if cs.reason:
            out["StatusReason"] = cs.reason
        if cs.description:
            out["Description"] = cs.description
        return out

    def op_DescribeChangeSet(self, a: dict[str, Any]) -> dict[str, Any]:
        return self._change_set_shape(self.engine.find_change_set(a["ChangeSetName"], a.get("StackName")))

    def op_ExecuteChangeSet(self, a: dict[str, Any]) -> None:
        self.engine.execute_change_set(a["ChangeSetName"], a.get("StackName"), a.get("DisableRollback", False))

    def op_DeleteChangeSet(self, a: dict[str, Any]) -> None:
        self.engine.delete_change_set(a["ChangeSetName"], a.get("StackName"))

    def op_ListChangeSets(self, a: dict[str, Any]) -> dict[str, Any]:
        s = self.engine.find(a["StackName"])
        keep = ("StackId", "StackName", "ChangeSetId", "ChangeSetName", "ExecutionStatus", "Status",
                "StatusReason", "CreationTime", "Description")
        return {"Summaries": [{k: v for k, v in self._change_set_shape(cs).items() if k in keep}
                              for cs in s.change_sets.values()]}

    def describe(self, name: str) -> dict[str, Any]:
        """``DescribeStacks`` for one stack, as plain data (for the deploy command)."""
        return json.loads(json.dumps(self._stack_shape(self.engine.find(name)), default=str))
