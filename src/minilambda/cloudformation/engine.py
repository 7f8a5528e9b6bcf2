"""The provisioning engine: stacks created, updated and deleted in dependency order, with
CloudFormation's statuses, events, rollback, outputs and exports.

Work is synchronous: an operation returns when the stack has reached its final status, so
botocore's waiters (and ``aws cloudformation deploy``) see it done at their first poll.
"""

from __future__ import annotations

import json
import random
import string
import threading
import uuid
from typing import Any, Callable

from ..errors import AwsError
from . import resources as r
from . import template as tpl
from .handlers import HANDLERS
from .intrinsics import Context, Resolver, _text, dependency_order, template_error
from .stack import ChangeSet, Stack, StackEvent, StackResource, needed_capabilities, resolve_parameters

UNSUPPORTED_REASON = ("Resource type {type} is not supported by minilambda (it simulates: {supported}). "
                      "Remove the resource or deploy this template to AWS.")




def _handler_error(exc: Exception, service: str) -> str:
    """A failed resource's reason, worded as CloudFormation's resource handlers word it."""
    from botocore.exceptions import ClientError, ParamValidationError

    if isinstance(exc, ClientError):
        err, meta = exc.response.get("Error", {}), exc.response.get("ResponseMetadata", {})
        status = meta.get("HTTPStatusCode", 400)
        code = {400: "InvalidRequest", 404: "NotFound", 409: "AlreadyExists", 429: "Throttling"}.get(
            status, "GeneralServiceException")
        return (f'Resource handler returned message: "{err.get("Message", "")} (Service: {service}, Status Code: '
                f'{status}, Request ID: {meta.get("RequestId", "")})" (RequestToken: {uuid.uuid4()}, '
                f"HandlerErrorCode: {code})")
    if isinstance(exc, ParamValidationError):
        return f"Properties validation failed for resource: {exc}"
    if isinstance(exc, AwsError):
        return exc.message
    return f"Internal Failure: {exc!r}"


class Engine:
    """All stacks of one Cloud, and the operations on them."""

    def __init__(self, client: Callable[[str], Any], clock: Any, region: str, account_id: str,
                 rng: random.Random) -> None:
        self._client_factory = client
        self._clients: dict[str, Any] = {}
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.rng = rng
        self.stacks: dict[str, Stack] = {}  # stack id -> stack (deleted ones stay, as on AWS)
        self.lock = threading.RLock()
        self.lint_templates = True  # cfn-lint each template text (1-3 s for a large one; cached per text)

    # -- helpers ---------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._client_factory(service)
        return self._clients[service]

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _suffix(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))

    def find(self, name_or_id: str, *, deleted: bool = False) -> Stack:
        """A stack by name (live ones only) or id; AWS's ValidationError when there is none."""
        stacks = dict(self.stacks)  # no lock: progress readers poll while an operation runs
        if name_or_id in stacks and (deleted or stacks[name_or_id].status != "DELETE_COMPLETE"):
            return stacks[name_or_id]
        for s in stacks.values():
            if s.name == name_or_id and s.status != "DELETE_COMPLETE":
                return s
        raise template_error(f"Stack with id {name_or_id} does not exist")

    def live_exports(self) -> dict[str, tuple[str, str]]:
        """Export name → (value, exporting stack id)."""
        return {name: (value, s.stack_id) for s in self.stacks.values() if s.status != "DELETE_COMPLETE"
                for name, value in s.exports.items()}

    def _event(self, stack: Stack, logical: str, rtype: str, status: str, reason: str = "",
               physical: str = "", props: dict[str, Any] | None = None) -> None:
        now = self.clock.now()
        if logical == stack.name and rtype == "AWS::CloudFormation::Stack":
            event_id, physical = self._uuid(), stack.stack_id
        else:
            import datetime as _dt

            stamp = _dt.datetime.fromtimestamp(now, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            event_id = f"{logical}-{status}-{stamp}"
        stack.events.append(StackEvent(stack.stack_id, event_id, stack.name, logical, physical, rtype, now, status,
                                       reason, json.dumps(props) if props is not None else ""))

    def _stack_status(self, stack: Stack, status: str, reason: str = "") -> None:
        stack.status, stack.reason = status, reason
        self._event(stack, stack.name, "AWS::CloudFormation::Stack", status, reason)

    # -- preparing a template ----------------------------------------------------------------

    def prepare(self, body: str, given: dict[str, str], capabilities: list[str], *, direct: bool,
                previous: dict[str, str] | None = None, stack_name: str = "") -> tuple[dict, dict, dict]:
        """Parse, lint and transform a template; (template, parameters as text, as resolved)."""
        if len(body.encode()) > tpl.MAX_BODY_BYTES:
            raise template_error(f"1 validation error detected: Value '{body[:20]}...' at 'templateBody' failed "
                                 f"to satisfy constraint: Member must have length less than or equal to "
                                 f"{tpl.MAX_BODY_BYTES}")
        template = tpl.load(body)
        self._lint(body)
        text, resolved = resolve_parameters(template, given, previous)
        if tpl.transforms(template):
            if direct and "CAPABILITY_AUTO_EXPAND" not in capabilities:
                raise AwsError("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]",
                               400, error_type=None)
            template = tpl.expand(template, text, self.region)
        self._check_types(template)
        missing = [c for c in needed_capabilities(template) if c not in capabilities
                   and not (c == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in capabilities)]
        if missing:
            raise AwsError("InsufficientCapabilitiesException", f"Requires capabilities : [{', '.join(missing)}]",
                           400, error_type=None)
        return template, text, resolved

    def _lint(self, body: str) -> None:
        """cfn-lint's errors as a ValidationError (unless ``lint_templates`` is off)."""
        if self.lint_templates:
            tpl.check(body, self.region)

    @staticmethod
    def _check_types(template: dict[str, Any]) -> None:
        for logical, res in template["Resources"].items():
            if not isinstance(res, dict) or not isinstance(res.get("Type"), str):
                raise template_error(f"Template format error: [/Resources/{logical}] Every Resources object must "
                                     "contain a Type member.")

    def _context(self, stack: Stack, resolved: dict[str, Any], template: dict[str, Any]) -> Context:
        pseudo = {"AWS::AccountId": self.account_id, "AWS::Region": self.region, "AWS::StackName": stack.name,
                  "AWS::StackId": stack.stack_id, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
                  "AWS::NotificationARNs": []}
        exports = self.live_exports()

        def imported(name: str) -> Any:
            if name not in exports:
                raise template_error(f"No export named {name} found. Rollback requested by user.")
            return exports[name][0]

        ctx = Context(pseudo=pseudo, parameters=resolved, mappings=template.get("Mappings") or {}, exports=imported)
        resolver = Resolver(ctx)
        for name, expr in (template.get("Conditions") or {}).items():  # conditions may use earlier ones
            ctx.conditions[name] = resolver._truth(expr)
        return ctx

    # -- provisioning --------------------------------------------------------------------------

    def _active(self, template: dict[str, Any], ctx: Context) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in template["Resources"].items()
                if not v.get("Condition") or ctx.conditions.get(v["Condition"], False)}

    def _resource_ctx(self, stack: Stack, logical: str) -> r.ResourceContext:
        return r.ResourceContext(self.client, stack.name, logical, self.region, self.account_id, self._suffix)

    def _handler(self, rtype: str) -> r.Handler:
        handler = HANDLERS.get(rtype)
        if handler is None:
            supported = ", ".join(sorted(HANDLERS))
            raise AwsError("InvalidRequest", UNSUPPORTED_REASON.format(type=rtype, supported=supported), 400,
                           error_type=None)
        return handler

    def _bind(self, ctx: Context, res: StackResource) -> None:
        if res.provisioned is not None:
            ctx.refs[res.logical_id] = res.provisioned.physical_id
            ctx.attributes[res.logical_id] = {k: v for k, v in res.provisioned.attributes.items()
                                              if not k.startswith("_")}

    def _create_one(self, stack: Stack, ctx: Context, logical: str, spec: dict[str, Any]) -> StackResource:
        rtype = spec["Type"]
        res = StackResource(logical, rtype, deletion_policy=spec.get("DeletionPolicy", "Delete"))
        stack.resources[logical] = res
        self._event(stack, logical, rtype, "CREATE_IN_PROGRESS")
        res.status = "CREATE_IN_PROGRESS"
        res.properties = Resolver(ctx).resolve(spec.get("Properties") or {})
        handler = self._handler(rtype)
        self._event(stack, logical, rtype, "CREATE_IN_PROGRESS", "Resource creation Initiated",
                    props=res.properties)
        res.provisioned = handler.create(self._resource_ctx(stack, logical), res.properties)
        res.status, res.reason, res.updated = "CREATE_COMPLETE", res.provisioned.note, self.clock.now()
        self._event(stack, logical, rtype, "CREATE_COMPLETE", res.provisioned.note, res.physical_id)
        self._bind(ctx, res)
        return res

    def _fail(self, stack: Stack, res_id: str, rtype: str, status: str, exc: Exception) -> str:
        handler = HANDLERS.get(rtype)
        service = (handler.service if handler else "") or "CloudFormation"
        reason = _handler_error(exc, {"lambda": "Lambda", "sqs": "Sqs", "sns": "Sns", "s3": "S3",
                                      "dynamodb": "DynamoDb", "events": "EventBridge", "logs": "CloudWatchLogs",
                                      "cognito-idp": "CognitoIdentityProvider", "apigateway": "ApiGateway",
                                      "apigatewayv2": "ApiGatewayV2"}.get(service, service))
        res = stack.resources.get(res_id)
        if res is not None:
            res.status, res.reason = status, reason
        self._event(stack, res_id, rtype, status, reason, res.physical_id if res else "")
        return reason

    def _outputs(self, stack: Stack, ctx: Context, template: dict[str, Any]) -> None:
        outputs, exports = [], {}
        live = self.live_exports()
        resolver = Resolver(ctx)
        for key, out in (template.get("Outputs") or {}).items():
            if out.get("Condition") and not ctx.conditions.get(out["Condition"], False):
                continue
            value = resolver.resolve(out.get("Value"))
            item = {"OutputKey": key, "OutputValue": _text(value)}
            if out.get("Description"):
                item["Description"] = out["Description"]
            if out.get("Export"):
                name = str(resolver.resolve(out["Export"]["Name"]))
                if name in live and live[name][1] != stack.stack_id:
                    raise template_error(f"Export with name {name} is already exported by stack "
                                         f"{self.stacks[live[name][1]].name}")
                item["ExportName"] = name
                exports[name] = item["OutputValue"]
            outputs.append(item)
        stack.outputs, stack.exports, stack.imports = outputs, exports, set(ctx.imports)

    def _delete_resources(self, stack: Stack, names: list[str], *, rollback: bool = False) -> list[str]:
        """Delete resources in the given order; the logical ids that failed."""
        failed = []
        for logical in names:
            res = stack.resources.get(logical)
            if res is None or res.status in ("DELETE_COMPLETE", "DELETE_SKIPPED"):
                continue
            if res.deletion_policy == "Retain" and not rollback:
                res.status = "DELETE_SKIPPED"
                self._event(stack, logical, res.type, "DELETE_SKIPPED", "", res.physical_id)
                continue
            if res.provisioned is None:  # never created (failed or cancelled)
                res.status = "DELETE_COMPLETE"
                self._event(stack, logical, res.type, "DELETE_COMPLETE", "", "")
                continue
            self._event(stack, logical, res.type, "DELETE_IN_PROGRESS", "", res.physical_id)
            try:
                self._handler(res.type).delete(self._resource_ctx(stack, logical), res.provisioned, res.properties)
            except Exception as exc:  # noqa: BLE001 - any failure becomes DELETE_FAILED with its reason
                self._fail(stack, logical, res.type, "DELETE_FAILED", exc)
                failed.append(logical)
                continue
            res.status = "DELETE_COMPLETE"
            self._event(stack, logical, res.type, "DELETE_COMPLETE", "", res.physical_id)
        return failed

    def _provision(self, stack: Stack, template: dict[str, Any], resolved: dict[str, Any]) -> None:
        """Create every resource of a new stack, or roll back."""
        ctx = self._context(stack, resolved, template)
        created: list[str] = []
        failed = ""
        try:
            active = self._active(template, ctx)
            order = dependency_order(active)
        except AwsError as exc:
            order, failed = [], exc.message
        for logical in order:
            try:
                self._create_one(stack, ctx, logical, active[logical])
                created.append(logical)
            except Exception as exc:  # noqa: BLE001 - a failed resource rolls the stack back
                self._fail(stack, logical, active[logical]["Type"], "CREATE_FAILED", exc)
                failed = f"The following resource(s) failed to create: [{logical}]. "
                break
        if not failed:
            try:
                self._outputs(stack, ctx, template)
            except AwsError as exc:
                failed = exc.message
        if not failed:
            self._stack_status(stack, "CREATE_COMPLETE")
            return
        if stack.disable_rollback:
            self._stack_status(stack, "CREATE_FAILED", failed)
            return
        self._stack_status(stack, "ROLLBACK_IN_PROGRESS", failed + ("Rollback requested by user."
                                                                    if failed.endswith(". ") else ""))
        problems = self._delete_resources(stack, list(reversed(created)), rollback=True)
        self._stack_status(stack, "ROLLBACK_FAILED" if problems else "ROLLBACK_COMPLETE")

    # -- operations ----------------------------------------------------------------------------

    def create_stack(self, name: str, body: str, parameters: dict[str, str], capabilities: list[str], *,
                     disable_rollback: bool = False, tags: list[dict[str, str]] | None = None,
                     direct: bool = True) -> Stack:
        with self.lock:
            for s in self.stacks.values():
                if s.name == name and s.status != "DELETE_COMPLETE":
                    raise AwsError("AlreadyExistsException", f"Stack [{name}] already exists", 400, error_type=None)
            stack = Stack(f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{name}/{self._uuid()}",
                          name, self.clock.now(), body=body, capabilities=list(capabilities), tags=list(tags or []),
                          disable_rollback=disable_rollback)
            template, stack.parameters, resolved = self.prepare(body, parameters, capabilities, direct=direct,
                                                                stack_name=name)
            self.stacks[stack.stack_id] = stack
            self._run_create(stack, template, resolved)
            return stack

    def _run_create(self, stack: Stack, template: dict[str, Any], resolved: dict[str, Any]) -> None:
        stack.template, stack.resolved_parameters = template, resolved
        stack.description = template.get("Description")
        self._stack_status(stack, "CREATE_IN_PROGRESS", "User Initiated")
        self._provision(stack, template, resolved)

    def update_stack(self, name: str, body: str | None, parameters: dict[str, str], capabilities: list[str], *,
                     use_previous_template: bool = False, direct: bool = True) -> Stack:
        with self.lock:
            stack = self.find(name)
            self._check_updatable(stack)
            body = stack.body if use_previous_template or body is None else body
            template, text, resolved = self.prepare(body, parameters, capabilities, direct=direct,
                                                    previous=stack.parameters, stack_name=stack.name)
            if template == stack.template and text == stack.parameters:
                raise template_error("No updates are to be performed.")
            stack.body, stack.capabilities = body, list(capabilities)
            self._run_update(stack, template, text, resolved)
            return stack

    @staticmethod
    def _check_updatable(stack: Stack) -> None:
        if stack.status.endswith("_IN_PROGRESS") or stack.status in ("ROLLBACK_COMPLETE", "CREATE_FAILED",
                                                                     "ROLLBACK_FAILED", "DELETE_FAILED"):
            raise template_error(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")

    def _run_update(self, stack: Stack, template: dict[str, Any], text: dict[str, str],
                    resolved: dict[str, Any]) -> None:
        from .update import Update

        self._stack_status(stack, "UPDATE_IN_PROGRESS", "User Initiated")
        Update(self, stack, template, text, resolved).run()

    def delete_stack(self, name: str) -> None:
        with self.lock:
            try:
                stack = self.find(name)
            except AwsError:
                return  # deleting a stack that does not exist succeeds, as on AWS
            users = sorted({self.stacks[sid].name for export in stack.exports
                            for sid, s in self.stacks.items() if s.status != "DELETE_COMPLETE" and export in s.imports
                            and sid != stack.stack_id})
            if users:
                export = next(iter(stack.exports))
                raise template_error(f"Export {export} cannot be deleted as it is in use by {', '.join(users)}")
            self._stack_status(stack, "DELETE_IN_PROGRESS", "User Initiated")
            order = self._deletion_order(stack)
            failed = self._delete_resources(stack, order)
            if failed:
                self._stack_status(stack, "DELETE_FAILED", "The following resource(s) failed to delete: "
                                                           f"[{', '.join(failed)}]. ")
                return
            stack.deleted = self.clock.now()
            stack.exports = {}
            self._stack_status(stack, "DELETE_COMPLETE")

    def _deletion_order(self, stack: Stack) -> list[str]:
        specs = {k: v for k, v in (stack.template.get("Resources") or {}).items() if k in stack.resources}
        try:
            order = dependency_order(specs)
        except AwsError:
            order = list(stack.resources)
        extra = [k for k in stack.resources if k not in order]
        return list(reversed(order + extra))

    # -- change sets ---------------------------------------------------------------------------

    def create_change_set(self, stack_name: str, name: str, body: str | None, parameters: dict[str, str],
                          capabilities: list[str], change_set_type: str, *, use_previous_template: bool = False,
                          description: str = "", tags: list[dict[str, str]] | None = None) -> ChangeSet:
        from .update import plan_changes

        with self.lock:
            if change_set_type == "CREATE":
                for s in self.stacks.values():
                    if s.name == stack_name and s.status not in ("DELETE_COMPLETE", "REVIEW_IN_PROGRESS"):
                        raise template_error(f"Stack [{stack_name}] already exists and cannot be created again "
                                             "with the changeSet [" + name + "].")
                stack = next((s for s in self.stacks.values() if s.name == stack_name
                              and s.status == "REVIEW_IN_PROGRESS"), None)
                if stack is None:
                    stack = Stack(f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{stack_name}/"
                                  f"{self._uuid()}", stack_name, self.clock.now(), status="REVIEW_IN_PROGRESS")
                    self.stacks[stack.stack_id] = stack
                    self._event(stack, stack_name, "AWS::CloudFormation::Stack", "REVIEW_IN_PROGRESS",
                                "User Initiated")
                previous = None
            else:
                stack = self.find(stack_name)
                if stack.status == "REVIEW_IN_PROGRESS":
                    raise template_error(f"Stack [{stack_name}] does not exist")
                previous = stack.parameters
            body = stack.body if use_previous_template or body is None else body
            template, text, resolved = self.prepare(body, parameters, capabilities, direct=False,
                                                    previous=previous, stack_name=stack_name)
            arn = (f"arn:aws:cloudformation:{self.region}:{self.account_id}:changeSet/{name}/{self._uuid()}")
            changes = plan_changes(stack, template) if change_set_type != "CREATE" else [
                {"Type": "Resource", "ResourceChange": {"Action": "Add", "LogicalResourceId": k,
                                                        "ResourceType": v["Type"], "Scope": [], "Details": []}}
                for k, v in template["Resources"].items()]
            cs = ChangeSet(arn, name, stack.stack_id, stack.name, change_set_type, body, text, list(capabilities),
                           changes, self.clock.now(), description=description, tags=list(tags or []),
                           prepared=(template, resolved))
            if change_set_type != "CREATE" and not changes and text == stack.parameters:
                cs.status, cs.execution_status = "FAILED", "UNAVAILABLE"
                cs.reason = ("The submitted information didn't contain changes. Submit different information to "
                             "create a change set.")
            stack.change_sets[arn] = cs
            return cs

    def find_change_set(self, name: str, stack_name: str | None) -> ChangeSet:
        with self.lock:
            for s in self.stacks.values():
                for cs in s.change_sets.values():
                    if cs.arn == name or (cs.name == name and stack_name in (s.name, s.stack_id)):
                        return cs
        raise AwsError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", 404, error_type=None)

    def execute_change_set(self, name: str, stack_name: str | None, disable_rollback: bool = False) -> None:
        with self.lock:
            cs = self.find_change_set(name, stack_name)
            if cs.execution_status != "AVAILABLE":
                raise AwsError("InvalidChangeSetStatus", f"ChangeSet [{cs.arn}] cannot be executed in its current "
                               f"status of [{cs.status}]", 400, error_type=None)
            stack = self.stacks[cs.stack_id]
            cs.execution_status = "EXECUTE_IN_PROGRESS"
            if cs.prepared is None:
                template, _, resolved = self.prepare(cs.body, cs.parameters, cs.capabilities, direct=False)
            else:  # checked, transformed and resolved when the change set was made
                template, resolved = cs.prepared
            text = cs.parameters
            stack.body, stack.capabilities, stack.tags = cs.body, cs.capabilities, cs.tags or stack.tags
            stack.disable_rollback = disable_rollback
            if cs.change_set_type == "CREATE":
                stack.parameters = text
                self._run_create(stack, template, resolved)
            else:
                self._run_update(stack, template, text, resolved)
            cs.execution_status = "EXECUTE_COMPLETE"
            for other in stack.change_sets.values():
                if other is not cs and other.execution_status == "AVAILABLE":
                    other.execution_status = "OBSOLETE"

    def delete_change_set(self, name: str, stack_name: str | None) -> None:
        with self.lock:
            cs = self.find_change_set(name, stack_name)
            del self.stacks[cs.stack_id].change_sets[cs.arn]
