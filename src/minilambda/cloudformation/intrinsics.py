"""CloudFormation's intrinsic functions, condition functions and dependency discovery.

A ``Resolver`` turns a template value into plain data given what is known so far (parameters,
pseudo parameters, conditions, created resources' ``Ref`` values and attributes, exports).
``references(value)`` lists the logical ids a value depends on, for ordering.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import AwsError

NO_VALUE = object()  # what ``Ref: AWS::NoValue`` resolves to: the key is removed
_SUB_VAR = re.compile(r"\$\{([^!}][^}]*)\}")


def template_error(message: str) -> AwsError:
    """AWS's answer to a template it cannot process (``ValidationError``, 400)."""
    return AwsError("ValidationError", message, 400, error_type=None)


@dataclass
class Context:
    """What a template's values can refer to while a stack is being provisioned."""

    pseudo: dict[str, Any]
    parameters: dict[str, Any]
    conditions: dict[str, bool] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)  # logical id -> Ref value (physical id)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    get_attribute: Callable[[str, str], Any] | None = None  # lazy attributes (logical id, name)
    exports: Callable[[str], Any] | None = None  # Fn::ImportValue lookup
    imports: set[str] = field(default_factory=set)  # export names used by this stack


class Resolver:
    """Evaluates intrinsic functions against a ``Context``."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def resolve(self, value: Any) -> Any:
        """*value* with every intrinsic function evaluated; ``AWS::NoValue`` keys dropped."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            fn = _FUNCTIONS.get(key)
            if fn is not None:
                return fn(self, arg)
        out = {}
        for k, v in value.items():
            r = self.resolve(v)
            if r is not NO_VALUE:
                out[k] = r
        return out

    # -- references ------------------------------------------------------------------------

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise template_error("Template error: every Ref object must have a single String value.")
        if name == "AWS::NoValue":
            return NO_VALUE
        for source in (self.ctx.parameters, self.ctx.pseudo, self.ctx.refs):
            if name in source:
                return source[name]
        raise template_error(f"Template format error: Unresolved resource dependencies [{name}] in the "
                             "Resources block of the template")

    def get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2:
            raise template_error("Template error: every Fn::GetAtt object requires two non-empty parameters")
        logical, attr = arg[0], self.resolve(arg[1])
        known = self.ctx.attributes.get(logical)
        if known is not None and attr in known:
            return known[attr]
        if self.ctx.get_attribute is not None and logical in self.ctx.refs:
            return self.ctx.get_attribute(logical, attr)
        if logical not in self.ctx.refs:
            raise template_error(f"Template format error: Unresolved resource dependencies [{logical}] in the "
                                 "Resources block of the template")
        raise template_error(f"Template error: resource {logical} does not support attribute type {attr} "
                             "in Fn::GetAtt")

    def sub(self, arg: Any) -> str:
        variables: dict[str, Any] = {}
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[1], dict):
                raise template_error("Template error: One or more Fn::Sub intrinsic functions don't specify "
                                     "expected arguments. Specify a string as first argument, and an optional "
                                     "second argument to specify a mapping of values to replace in the string")
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text = arg
        if not isinstance(text, str):
            raise template_error("Template error: Fn::Sub expects a string as its first argument")

        def one(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            if name in variables:
                return _text(variables[name])
            if "." in name and name.split(".", 1)[0] not in self.ctx.parameters:
                return _text(self.get_att(name.split(".", 1)))
            return _text(self.ref(name))

        return _SUB_VAR.sub(one, text).replace("${!", "${")

    def join(self, arg: Any) -> str:
        if not isinstance(arg, list) or len(arg) != 2:
            raise template_error("Template error: every Fn::Join object requires two parameters, (1) a string "
                                 "delimiter and (2) a list of strings to be joined or a function that returns a "
                                 "list of strings (such as Fn::GetAZs) to be joined.")
        items = self.resolve(arg[1])
        return str(arg[0]).join(_text(v) for v in items)

    def select(self, arg: Any) -> Any:
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        try:
            return items[int(index)]
        except (IndexError, ValueError, TypeError):
            raise template_error("Template error: Fn::Select cannot select nonexistent value at index "
                                 f"{index}") from None

    def split(self, arg: Any) -> list[str]:
        delimiter, text = arg[0], self.resolve(arg[1])
        return str(text).split(delimiter)

    def if_(self, arg: Any) -> Any:
        name, yes, no = arg
        return self.resolve(yes if self.condition(name) else no)

    def import_value(self, arg: Any) -> Any:
        name = self.resolve(arg)
        if self.ctx.exports is None:
            raise template_error(f"No export named {name} found.")
        self.ctx.imports.add(name)
        return self.ctx.exports(name)

    def find_in_map(self, arg: Any) -> Any:
        name, top, second = (self.resolve(a) for a in arg[:3])
        try:
            return self.ctx.mappings[name][top][second]
        except (KeyError, TypeError):
            raise template_error(f"Template error: Unable to get mapping for {name}::{top}::{second}") from None

    def get_azs(self, arg: Any) -> list[str]:
        region = self.resolve(arg) or self.ctx.pseudo["AWS::Region"]
        return [f"{region}{z}" for z in "abc"]

    def condition(self, name: Any) -> bool:
        if name not in self.ctx.conditions:
            raise template_error(f"Template format error: Unresolved condition dependency {name} in Fn::If")
        return self.ctx.conditions[name]

    # -- condition functions ---------------------------------------------------------------

    def equals(self, arg: Any) -> bool:
        a, b = (self.resolve(v) for v in arg)
        return _text(a) == _text(b)

    def and_(self, arg: Any) -> bool:
        return all(self._truth(v) for v in arg)

    def or_(self, arg: Any) -> bool:
        return any(self._truth(v) for v in arg)

    def not_(self, arg: Any) -> bool:
        return not self._truth(arg[0])

    def _truth(self, value: Any) -> bool:
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(value["Condition"])
        return bool(self.resolve(value))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": Resolver.ref,
    "Fn::GetAtt": Resolver.get_att,
    "Fn::Sub": Resolver.sub,
    "Fn::Join": Resolver.join,
    "Fn::Select": Resolver.select,
    "Fn::Split": Resolver.split,
    "Fn::If": Resolver.if_,
    "Fn::ImportValue": Resolver.import_value,
    "Fn::FindInMap": Resolver.find_in_map,
    "Fn::GetAZs": Resolver.get_azs,
    "Fn::Base64": lambda r, a: base64.b64encode(str(r.resolve(a)).encode()).decode(),
    "Fn::Equals": Resolver.equals,
    "Fn::And": Resolver.and_,
    "Fn::Or": Resolver.or_,
    "Fn::Not": Resolver.not_,
    "Condition": Resolver.condition,
}


def references(value: Any, resources: set[str]) -> set[str]:
    """The logical ids of *resources* that *value* refers to (Ref, Fn::GetAtt, Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, list):
        for v in value:
            found |= references(v, resources)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str) and v in resources:
                found.add(v)
            elif k == "Fn::GetAtt":
                target = v.split(".", 1)[0] if isinstance(v, str) else v[0]
                if target in resources:
                    found.add(target)
            elif k == "Fn::Sub":
                text = v if isinstance(v, str) else v[0]
                local = set(v[1]) if isinstance(v, list) and len(v) > 1 and isinstance(v[1], dict) else set()
                for m in _SUB_VAR.finditer(text if isinstance(text, str) else ""):
                    name = m.group(1).strip().split(".", 1)[0]
                    if name in resources and name not in local:
                        found.add(name)
                found |= references(v[1] if isinstance(v, list) and len(v) > 1 else None, resources)
            else:
                found |= references(v, resources)
    return found


def dependency_order(resources: dict[str, dict[str, Any]]) -> list[str]:
    """Logical ids in an order where each comes after what it depends on (stable by name).

    A cycle fails as CloudFormation does ("Circular dependency between resources: [...]").
    """
    names = set(resources)
    deps: dict[str, set[str]] = {}
    for name, res in resources.items():
        depends = res.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else list(depends)
        missing = [d for d in depends if d not in names]
        if missing:
            raise template_error(f"Template format error: Unresolved resource dependencies {missing} in the "
                                 "Resources block of the template")
        deps[name] = (references(res.get("Properties", {}), names) | set(depends)) - {name}
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(names):
        ready = sorted(n for n in names - done if deps[n] <= done)
        if not ready:
            cycle = sorted(names - done)
            raise template_error(f"Circular dependency between resources: [{', '.join(cycle)}]")
        order.extend(ready)
        done.update(ready)
    return order
