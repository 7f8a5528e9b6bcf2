"""Stacks as data: resources, events, outputs, change sets, and parameter validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .intrinsics import template_error
from .resources import Provisioned


@dataclass(frozen=True)
class StackEvent:
    """One line of ``DescribeStackEvents`` (AWS's field names)."""

    StackId: str
    EventId: str
    StackName: str
    LogicalResourceId: str
    PhysicalResourceId: str
    ResourceType: str
    Timestamp: float
    ResourceStatus: str
    ResourceStatusReason: str = ""
    ResourceProperties: str = ""


@dataclass
class StackResource:
    """One resource of a stack: its template entry, resolved properties and what was created."""

    logical_id: str
    type: str
    properties: dict[str, Any] = field(default_factory=dict)
    provisioned: Provisioned | None = None
    status: str = ""
    reason: str = ""
    updated: float = 0.0
    deletion_policy: str = "Delete"

    @property
    def physical_id(self) -> str:
        return self.provisioned.physical_id if self.provisioned else ""


@dataclass
class ChangeSet:
    """A proposed create or update, executed later (``ExecuteChangeSet``)."""

    arn: str
    name: str
    stack_id: str
    stack_name: str
    change_set_type: str
    body: str
    parameters: dict[str, str]
    capabilities: list[str]
    changes: list[dict[str, Any]]
    created: float
    status: str = "CREATE_COMPLETE"
    execution_status: str = "AVAILABLE"
    reason: str = ""
    description: str = ""
    tags: list[dict[str, str]] = field(default_factory=list)
    prepared: tuple[dict[str, Any], dict[str, Any]] | None = None  # (template, resolved parameters)


@dataclass
class Stack:
    """A stack's whole state."""

    stack_id: str
    name: str
    created: float
    status: str = "CREATE_IN_PROGRESS"
    reason: str = ""
    body: str = ""
    template: dict[str, Any] = field(default_factory=dict)  # after transforms
    parameters: dict[str, str] = field(default_factory=dict)  # as given (text)
    resolved_parameters: dict[str, Any] = field(default_factory=dict)
    capabilities: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    disable_rollback: bool = False
    description: str | None = None
    updated: float | None = None
    deleted: float | None = None
    resources: dict[str, StackResource] = field(default_factory=dict)
    events: list[StackEvent] = field(default_factory=list)
    outputs: list[dict[str, str]] = field(default_factory=list)
    exports: dict[str, str] = field(default_factory=dict)
    imports: set[str] = field(default_factory=set)
    change_sets: dict[str, ChangeSet] = field(default_factory=dict)


# -- parameters ----------------------------------------------------------------------------

_LIST_TYPES = ("CommaDelimitedList", "List<Number>", "List<String>")


def _constraint_failed(name: str, spec: dict[str, Any], default_message: str) -> Exception:
    desc = spec.get("ConstraintDescription")
    if desc:
        return template_error(f"Parameter '{name}' failed to satisfy constraint: {desc}")
    return template_error(default_message)


def check_parameter(name: str, spec: dict[str, Any], value: str) -> Any:
    """*value* checked against the parameter's Type and constraints; the value as templates see it."""
    kind = spec.get("Type", "String")
    if kind.startswith("AWS::SSM::Parameter"):
        raise template_error(f"Parameter '{name}': SSM parameter types are not supported by minilambda")
    items = [v.strip() for v in value.split(",")] if kind in _LIST_TYPES or kind.startswith("List<") else [value]
    for item in items:
        if kind in ("Number", "List<Number>"):
            try:
                number = float(item)
            except ValueError:
                raise _constraint_failed(name, spec, f"Parameter '{name}' must be a number") from None
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise _constraint_failed(name, spec, f"Parameter '{name}' must be a number not less than "
                                                     f"{spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                raise _constraint_failed(name, spec, f"Parameter '{name}' must be a number not greater than "
                                                     f"{spec['MaxValue']}")
        if "AllowedValues" in spec and item not in [str(v) for v in spec["AllowedValues"]]:
            raise _constraint_failed(name, spec, f"Parameter '{name}' must be one of AllowedValues")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], item):
            raise _constraint_failed(name, spec, f"Parameter '{name}' must match pattern {spec['AllowedPattern']}")
        if "MinLength" in spec and len(item) < int(spec["MinLength"]):
            raise _constraint_failed(name, spec, f"Parameter '{name}' must contain at least "
                                                 f"{spec['MinLength']} characters")
        if "MaxLength" in spec and len(item) > int(spec["MaxLength"]):
            raise _constraint_failed(name, spec, f"Parameter '{name}' must contain at most "
                                                 f"{spec['MaxLength']} characters")
    return items if (kind in _LIST_TYPES or kind.startswith("List<")) else value


def resolve_parameters(template: dict[str, Any], given: dict[str, str],
                       previous: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, Any]]:
    """The parameters as text (for DescribeStacks) and as templates see them (lists split)."""
    specs = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise template_error(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    text: dict[str, str] = {}
    missing = []
    for name, spec in specs.items():
        if name in given:
            text[name] = str(given[name])
        elif previous and name in previous:
            text[name] = previous[name]
        elif "Default" in spec:
            default = spec["Default"]
            text[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
        else:
            missing.append(name)
    if missing:
        raise template_error(f"Parameters: [{', '.join(missing)}] must have values")
    return text, {name: check_parameter(name, specs[name], value) for name, value in text.items()}


def needed_capabilities(template: dict[str, Any]) -> list[str]:
    """The IAM capabilities AWS asks for (of the template after transforms)."""
    need = []
    iam = [r for r in (template.get("Resources") or {}).values() if str(r.get("Type", "")).startswith("AWS::IAM::")]
    named = any((r.get("Properties") or {}).get(k) for r in iam for k in ("RoleName", "ManagedPolicyName",
                                                                           "UserName", "GroupName"))
    if named:
        need.append("CAPABILITY_NAMED_IAM")
    elif iam:
        need.append("CAPABILITY_IAM")
    return need
