"""Stack updates: what changes (for change sets), and applying it with CloudFormation's rules.

A resource whose type or "replace_on" properties change is replaced: the new one is created
first and the old one deleted during ``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``; a custom-named
resource cannot be replaced (AWS's message). Other changes are made in place. If anything
fails, new resources are deleted and changed ones are put back (``UPDATE_ROLLBACK_COMPLETE``).
"""

from __future__ import annotations

from typing import Any

from ..errors import AwsError
from .intrinsics import Resolver, dependency_order, template_error
from .stack import Stack, StackResource


def plan_changes(stack: Stack, template: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``Changes`` of a change set: Add, Modify (with Replacement) and Remove, by template text."""
    old = stack.template.get("Resources") or {}
    new = template.get("Resources") or {}
    changes = []
    for logical in sorted(set(old) | set(new)):
        a, b = old.get(logical), new.get(logical)
        if a == b:
            continue
        change: dict[str, Any] = {"LogicalResourceId": logical, "ResourceType": (b or a)["Type"]}
        if a is None:
            change.update(Action="Add", Scope=[], Details=[])
        elif b is None:
            change.update(Action="Remove", PhysicalResourceId=_physical(stack, logical), Scope=[], Details=[])
        else:
            replace = a["Type"] != b["Type"] or _replacing(b["Type"], a.get("Properties") or {},
                                                           b.get("Properties") or {})
            change.update(Action="Modify", PhysicalResourceId=_physical(stack, logical),
                          Replacement="True" if replace else "False", Scope=["Properties"], Details=[])
        changes.append({"Type": "Resource", "ResourceChange": change})
    return changes


def _physical(stack: Stack, logical: str) -> str:
    res = stack.resources.get(logical)
    return res.physical_id if res else ""


def _replacing(rtype: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    from .handlers import HANDLERS

    handler = HANDLERS.get(rtype)
    keys = handler.replace_on if handler else ()
    return any(old.get(k) != new.get(k) for k in keys)


class Update:
    """One stack update, from UPDATE_IN_PROGRESS to UPDATE_COMPLETE or UPDATE_ROLLBACK_COMPLETE.

    *engine* is the stack's ``Engine`` (typed ``Any``: engine.py imports this module, and a
    type-only import back would be a cycle).
    """

    def __init__(self, engine: Any, stack: Stack, template: dict[str, Any], text: dict[str, str],
                 resolved: dict[str, Any]) -> None:
        self.engine, self.stack = engine, stack
        self.template, self.text, self.resolved = template, text, resolved
        self.created: list[str] = []  # new logical ids
        self.replaced: dict[str, StackResource] = {}  # logical id -> the old resource, deleted at cleanup
        self.modified: dict[str, StackResource] = {}  # logical id -> copy before the in-place change

    def run(self) -> None:
        eng, stack = self.engine, self.stack
        old_resources = dict(stack.resources)
        ctx = eng._context(stack, self.resolved, self.template)
        try:
            active = eng._active(self.template, ctx)
            order = dependency_order(active)
        except AwsError as exc:
            self._rollback(exc.message, old_resources)
            return
        for logical in order:
            spec = active[logical]
            try:
                self._apply(ctx, logical, spec)
            except Exception as exc:  # noqa: BLE001 - the update rolls back
                status = "UPDATE_FAILED" if logical in old_resources else "CREATE_FAILED"
                eng._fail(stack, logical, spec["Type"], status, exc)
                self._rollback(f"The following resource(s) failed to {'update' if status == 'UPDATE_FAILED' else 'create'}: "
                               f"[{logical}]. ", old_resources)
                return
        try:
            eng._outputs(stack, ctx, self.template)
        except AwsError as exc:
            self._rollback(exc.message, old_resources)
            return
        old_template = stack.template
        stack.template, stack.parameters, stack.resolved_parameters = self.template, self.text, self.resolved
        stack.description = self.template.get("Description")
        stack.updated = eng.clock.now()
        eng._stack_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        removed = [k for k in reversed(self._old_order(old_template)) if k not in active and k in stack.resources]
        eng._delete_resources(stack, removed)
        for k in removed:
            stack.resources.pop(k, None)
        for logical, old in self.replaced.items():
            self._delete_old(old)
        eng._stack_status(stack, "UPDATE_COMPLETE")

    def _old_order(self, template: dict[str, Any]) -> list[str]:
        specs = {k: v for k, v in (template.get("Resources") or {}).items() if k in self.stack.resources}
        try:
            return dependency_order(specs)
        except AwsError:
            return list(specs)

    def _apply(self, ctx: Any, logical: str, spec: dict[str, Any]) -> None:
        eng, stack = self.engine, self.stack
        current = stack.resources.get(logical)
        if current is None:
            eng._create_one(stack, ctx, logical, spec)
            self.created.append(logical)
            return
        props = Resolver(ctx).resolve(spec.get("Properties") or {})
        current.deletion_policy = spec.get("DeletionPolicy", "Delete")
        if current.type == spec["Type"] and props == current.properties:
            eng._bind(ctx, current)
            return
        handler = eng._handler(spec["Type"])
        replace = current.type != spec["Type"] or any(current.properties.get(k) != props.get(k)
                                                      for k in handler.replace_on)
        eng._event(stack, logical, spec["Type"], "UPDATE_IN_PROGRESS", "", current.physical_id, props)
        rctx = eng._resource_ctx(stack, logical)
        result = None if replace else handler.update(rctx, current.provisioned, current.properties, props)
        if result is None:
            name_prop = handler.name_property
            if name_prop and props.get(name_prop) and props.get(name_prop) == current.properties.get(name_prop):
                raise template_error(f"CloudFormation cannot update a stack when a custom-named resource requires "
                                     f"replacing. Rename {props[name_prop]} and update the stack again.")
            eng._event(stack, logical, spec["Type"], "UPDATE_IN_PROGRESS", "Requested update requires the creation "
                       "of a new physical resource; hence creating one.", current.physical_id, props)
            result = handler.create(rctx, props)
            self.replaced[logical] = current
        else:
            self.modified[logical] = StackResource(current.logical_id, current.type, dict(current.properties),
                                                   current.provisioned, current.status)
        new = StackResource(logical, spec["Type"], props, result, "UPDATE_COMPLETE", result.note, eng.clock.now(),
                            current.deletion_policy)
        stack.resources[logical] = new
        eng._event(stack, logical, spec["Type"], "UPDATE_COMPLETE", result.note, new.physical_id)
        eng._bind(ctx, new)

    def _delete_old(self, old: StackResource) -> None:
        eng = self.engine
        eng._event(self.stack, old.logical_id, old.type, "DELETE_IN_PROGRESS", "", old.physical_id)
        try:
            eng._handler(old.type).delete(eng._resource_ctx(self.stack, old.logical_id), old.provisioned,
                                          old.properties)
        except Exception as exc:  # noqa: BLE001 - cleanup failures are reported, the update stands
            eng._fail(self.stack, old.logical_id, old.type, "DELETE_FAILED", exc)
            return
        eng._event(self.stack, old.logical_id, old.type, "DELETE_COMPLETE", "", old.physical_id)

    def _rollback(self, reason: str, old_resources: dict[str, StackResource]) -> None:
        eng, stack = self.engine, self.stack
        eng._stack_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        for logical, before in self.modified.items():
            now = stack.resources[logical]
            try:
                eng._handler(before.type).update(eng._resource_ctx(stack, logical), now.provisioned,
                                                 now.properties, before.properties)
            except Exception as exc:  # noqa: BLE001
                eng._fail(stack, logical, before.type, "UPDATE_FAILED", exc)
        for logical, old in self.replaced.items():
            if stack.resources[logical] is not old:
                eng._delete_resources(stack, [logical], rollback=True)
        eng._delete_resources(stack, list(reversed(self.created)), rollback=True)
        stack.resources = dict(old_resources)
        eng._stack_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        eng._stack_status(stack, "UPDATE_ROLLBACK_COMPLETE")
