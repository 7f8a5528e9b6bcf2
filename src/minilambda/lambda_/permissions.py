"""Lambda resource-based policies: ``AddPermission``, ``GetPolicy``, ``RemovePermission``.

The Lambda backend owns them (``LambdaBackend.permissions``): statements are kept per function and
qualifier; ``LambdaApi`` answers AWS's three REST operations. ``Permissions.allows`` is what API
Gateway asks before an invoke: is there an ``Allow`` for ``apigateway.amazonaws.com`` whose
``AWS:SourceArn`` pattern (``ArnLike``: ``*`` and ``?`` wildcards) matches the calling route's ARN?
``Permissions.allows_url`` is what a function URL with ``AuthType: NONE`` asks: since October 2025
AWS requires both ``lambda:InvokeFunctionUrl`` (``FunctionUrlAuthType``) and ``lambda:InvokeFunction``
(``InvokedViaFunctionUrl``) for the public (``*``) principal [Lambda DG urls-auth.html].
"""

from __future__ import annotations

import fnmatch
import json
import random
import re
import threading
import uuid
from typing import Any

from ..errors import AwsError, conflict, invalid_parameter, not_found

_ACTION = re.compile(r"^(lambda:[*]|lambda:[A-Za-z]+)$")
_SID = re.compile(r"^([a-zA-Z0-9-_.]+)$")


def statement_for(function_arn: str, body: dict[str, Any]) -> dict[str, Any]:
    """The IAM statement AWS stores for an ``AddPermission`` request body."""
    for key in ("StatementId", "Action", "Principal"):
        if not body.get(key):
            raise invalid_parameter(f"1 validation error detected: Value null at '{key[0].lower() + key[1:]}' "
                                    "failed to satisfy constraint: Member must not be null")
    if not _SID.match(body["StatementId"]) or len(body["StatementId"]) > 100:
        raise invalid_parameter("1 validation error detected: Value at 'statementId' failed to satisfy constraint: "
                                "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)")
    if not _ACTION.match(body["Action"]):
        raise invalid_parameter("1 validation error detected: Value at 'action' failed to satisfy constraint: "
                                "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")
    principal = body["Principal"]
    if principal == "*":
        principal_value: Any = "*"
    elif principal.endswith(".amazonaws.com"):
        principal_value = {"Service": principal}
    elif re.fullmatch(r"\d{12}", principal):
        principal_value = {"AWS": f"arn:aws:iam::{principal}:root"}
    else:
        principal_value = {"AWS": principal}
    statement: dict[str, Any] = {"Sid": body["StatementId"], "Effect": "Allow", "Principal": principal_value,
                                 "Action": body["Action"], "Resource": function_arn}
    condition: dict[str, Any] = {}
    if body.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = body["SourceAccount"]
    if body.get("SourceArn"):
        condition.setdefault("ArnLike", {})["AWS:SourceArn"] = body["SourceArn"]
    condition.update(_url_conditions(body))
    if condition:
        statement["Condition"] = condition
    return statement


def _url_conditions(body: dict[str, Any]) -> dict[str, Any]:
    """The function-URL conditions of a statement: ``FunctionUrlAuthType``, ``InvokedViaFunctionUrl``.

    The stored form (``StringEquals lambda:FunctionUrlAuthType``, ``Bool lambda:InvokedViaFunctionUrl``)
    follows AWS's documented policy examples; the ``Bool`` form is unverified.
    """
    out: dict[str, Any] = {}
    auth_type = body.get("FunctionUrlAuthType")
    if auth_type is not None:
        if auth_type not in ("NONE", "AWS_IAM"):
            raise invalid_parameter(f"1 validation error detected: Value '{auth_type}' at 'functionUrlAuthType' "
                                    "failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]")
        out["StringEquals"] = {"lambda:FunctionUrlAuthType": auth_type}
    if body.get("InvokedViaFunctionUrl"):
        if body["Action"] != "lambda:InvokeFunction":
            raise invalid_parameter("InvokedViaFunctionUrl is only valid with the lambda:InvokeFunction action.")
        out["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    return out


class Permissions:
    """The resource-based policy statements of one account's functions, per (name, qualifier)."""

    def __init__(self, registry: Any, rng: random.Random, account_id: str) -> None:
        self.registry = registry
        self.rng = rng
        self.account_id = account_id
        self.statements: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        self.revisions: dict[tuple[str, str | None], str] = {}
        self.lock = threading.Lock()

    def _revision(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def add(self, name: str, qualifier: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """Add one statement; AWS refuses a duplicate statement id with 409."""
        fn, _fv, q = self.registry.resolve(name, qualifier)
        statement = statement_for(self.registry.function_arn(fn.name, q), body)
        key = (fn.name, q)
        with self.lock:
            existing = self.statements.setdefault(key, [])
            revision = body.get("RevisionId")
            if revision and revision != self.revisions.get(key):
                raise AwsError("PreconditionFailedException", "The Revision Id provided does not match the latest "
                               "Revision Id. Call the GetPolicy API to retrieve the latest Revision Id", 412)
            if any(s["Sid"] == statement["Sid"] for s in existing):
                raise conflict(f"The statement id ({statement['Sid']}) provided already exists. Please provide a "
                               "new statement id, or remove the existing statement.")
            existing.append(statement)
            self.revisions[key] = self._revision()
        return {"Statement": json.dumps(statement, separators=(",", ":"))}

    def get(self, name: str, qualifier: str | None) -> dict[str, Any]:
        """``{"Policy": <JSON text>, "RevisionId"}``; 404 when the function has no statement."""
        fn, _fv, q = self.registry.resolve(name, qualifier)
        with self.lock:
            statements = list(self.statements.get((fn.name, q), []))
            revision = self.revisions.get((fn.name, q), "")
        if not statements:
            raise not_found("The resource you requested does not exist.")
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        return {"Policy": json.dumps(policy, separators=(",", ":")), "RevisionId": revision}

    def remove(self, name: str, qualifier: str | None, statement_id: str) -> None:
        """Remove one statement by id (404 when there is none)."""
        fn, _fv, q = self.registry.resolve(name, qualifier)
        with self.lock:
            statements = self.statements.get((fn.name, q), [])
            kept = [s for s in statements if s["Sid"] != statement_id]
            if len(kept) == len(statements):
                raise not_found(f"Statement {statement_id} is not found in resource policy.")
            self.statements[(fn.name, q)] = kept
            self.revisions[(fn.name, q)] = self._revision()

    def forget(self, function_name: str, qualifier: str | None) -> None:
        """A deleted function (qualifier None) or version loses its policies."""
        with self.lock:
            for key in [k for k in self.statements if k[0] == function_name and (qualifier is None or k[1] == qualifier)]:
                self.statements.pop(key, None)
                self.revisions.pop(key, None)

    def allows(self, function_name: str, qualifier: str | None, source_arn: str,
               principal: str = "apigateway.amazonaws.com") -> bool:
        """Whether a statement of the function's policy lets *principal* invoke it from *source_arn*."""
        with self.lock:
            statements = list(self.statements.get((function_name, qualifier), []))
        return any(_allows(s, principal, source_arn, self.account_id) for s in statements)

    def allows_url(self, function_name: str, qualifier: str | None, auth_type: str) -> bool:
        """Whether the policy lets anyone (``*``) invoke the function through a URL of *auth_type*:
        a ``lambda:InvokeFunctionUrl`` and a ``lambda:InvokeFunction`` statement are both needed."""
        with self.lock:
            statements = list(self.statements.get((function_name, qualifier), []))
        public = [s for s in statements if s["Principal"] == "*" and not _other_conditions(s)]
        url = any(s["Action"] in ("lambda:InvokeFunctionUrl", "lambda:*")
                  and s.get("Condition", {}).get("StringEquals", {}).get("lambda:FunctionUrlAuthType",
                                                                         auth_type) == auth_type for s in public)
        invoke = any(s["Action"] in ("lambda:InvokeFunction", "lambda:*") for s in public)
        return url and invoke


def _other_conditions(s: dict[str, Any]) -> bool:
    """Whether a statement has a condition a function URL request cannot meet (a source ARN or account)."""
    cond = s.get("Condition", {})
    return bool(cond.get("ArnLike") or cond.get("StringEquals", {}).get("AWS:SourceAccount"))


def arn_like(pattern: str, arn: str) -> bool:
    """IAM ``ArnLike``: ``*`` matches any run of characters, ``?`` one character, case-sensitive."""
    return fnmatch.fnmatchcase(arn, pattern.replace("[", "[[]"))


def _allows(s: dict[str, Any], principal: str, source_arn: str, account: str) -> bool:
    if s["Action"] not in ("lambda:InvokeFunction", "lambda:*"):
        return False
    if s.get("Condition", {}).get("Bool", {}).get("lambda:InvokedViaFunctionUrl") == "true":
        return False  # only for requests through a function URL
    p = s["Principal"]
    if p != "*" and p.get("Service") != principal:
        return False
    cond = s.get("Condition", {})
    pattern = cond.get("ArnLike", {}).get("AWS:SourceArn")
    if pattern and not arn_like(pattern, source_arn):
        return False
    expected_account = cond.get("StringEquals", {}).get("AWS:SourceAccount")
    return not (expected_account and expected_account != account)
