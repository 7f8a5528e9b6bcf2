"""Lambda resource-based policies: ``AddPermission``, ``GetPolicy``, ``RemovePermission``.

They live here until the Lambda backend owns them: statements are kept per function and qualifier
in a ``PolicyStore`` on the Cloud (``cloud.lambda_policies``), and ``register_routes`` adds AWS's
three REST operations to the Lambda API. ``policy_allows`` is what API Gateway asks before an
invoke: is there an ``Allow`` for ``apigateway.amazonaws.com`` whose ``AWS:SourceArn`` pattern
(``ArnLike``: ``*`` and ``?`` wildcards) matches the calling route's ARN?
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import AwsError, conflict, invalid_parameter, not_found

FN = r"(?P<name>[^/]+)"
_ACTION = re.compile(r"^(lambda:[*]|lambda:[A-Za-z]+)$")
_SID = re.compile(r"^([a-zA-Z0-9-_.]+)$")


@dataclass
class PolicyStore:
    """Statements per ``(function name, qualifier or None)``, with a revision id per policy."""

    statements: dict[tuple[str, str | None], list[dict[str, Any]]] = field(default_factory=dict)
    revisions: dict[tuple[str, str | None], str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _store(cloud: Any) -> PolicyStore:
    store = getattr(cloud, "lambda_policies", None)
    if store is None:
        store = cloud.lambda_policies = PolicyStore()
    return store


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
    if condition:
        statement["Condition"] = condition
    return statement


def add_permission(cloud: Any, name: str, qualifier: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """Add one statement; AWS refuses a duplicate statement id with 409."""
    fn, _fv, q = cloud.registry.resolve(name, qualifier)
    arn = cloud.registry.function_arn(fn.name, q)
    statement = statement_for(arn, body)
    store = _store(cloud)
    key = (fn.name, q)
    with store.lock:
        existing = store.statements.setdefault(key, [])
        revision = body.get("RevisionId")
        if revision and revision != store.revisions.get(key):
            raise AwsError("PreconditionFailedException", "The Revision Id provided does not match the latest "
                           "Revision Id. Call the GetPolicy API to retrieve the latest Revision Id", 412)
        if any(s["Sid"] == statement["Sid"] for s in existing):
            raise conflict(f"The statement id ({statement['Sid']}) provided already exists. Please provide a new "
                           "statement id, or remove the existing statement.")
        existing.append(statement)
        store.revisions[key] = str(uuid.UUID(int=cloud.rng.getrandbits(128)))
    return {"Statement": json.dumps(statement, separators=(",", ":"))}


def get_policy(cloud: Any, name: str, qualifier: str | None) -> dict[str, Any]:
    """``{"Policy": <JSON text>, "RevisionId"}``; 404 when the function has no statement."""
    fn, _fv, q = cloud.registry.resolve(name, qualifier)
    store = _store(cloud)
    with store.lock:
        statements = list(store.statements.get((fn.name, q), []))
        revision = store.revisions.get((fn.name, q), "")
    if not statements:
        raise not_found("The resource you requested does not exist.")
    policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    return {"Policy": json.dumps(policy, separators=(",", ":")), "RevisionId": revision}


def remove_permission(cloud: Any, name: str, qualifier: str | None, statement_id: str) -> None:
    """Remove one statement by id (404 when there is none)."""
    fn, _fv, q = cloud.registry.resolve(name, qualifier)
    store = _store(cloud)
    with store.lock:
        statements = store.statements.get((fn.name, q), [])
        kept = [s for s in statements if s["Sid"] != statement_id]
        if len(kept) == len(statements):
            raise not_found(f"Statement {statement_id} is not found in resource policy.")
        store.statements[(fn.name, q)] = kept
        store.revisions[(fn.name, q)] = str(uuid.UUID(int=cloud.rng.getrandbits(128)))


def arn_like(pattern: str, arn: str) -> bool:
    """IAM ``ArnLike``: ``*`` matches any run of characters, ``?`` one character, case-sensitive."""
    return fnmatch.fnmatchcase(arn, pattern.replace("[", "[[]"))


def policy_allows(cloud: Any, function_name: str, qualifier: str | None, source_arn: str,
                  principal: str = "apigateway.amazonaws.com") -> bool:
    """Whether a statement of the function's policy lets *principal* invoke it from *source_arn*."""
    store = _store(cloud)
    with store.lock:
        statements = list(store.statements.get((function_name, qualifier), []))
    account = cloud.account_id
    for s in statements:
        if s["Action"] not in ("lambda:InvokeFunction", "lambda:*"):
            continue
        p = s["Principal"]
        if p != "*" and p.get("Service") != principal:
            continue
        cond = s.get("Condition", {})
        pattern = cond.get("ArnLike", {}).get("AWS:SourceArn")
        if pattern and not arn_like(pattern, source_arn):
            continue
        expected_account = cond.get("StringEquals", {}).get("AWS:SourceAccount")
        if expected_account and expected_account != account:
            continue
        return True
    return False


def register_routes(lambda_service: Any) -> None:
    """Add AddPermission/GetPolicy/RemovePermission to the Lambda REST API (2015-03-31 paths)."""
    from ..service import Response

    cloud = lambda_service.cloud

    def add(req: Any, name: str) -> Any:
        result = add_permission(cloud, name, req.q("Qualifier"), req.json())
        return Response.json(result, 201)

    def get(req: Any, name: str) -> Any:
        return Response.json(get_policy(cloud, name, req.q("Qualifier")))

    def remove(req: Any, name: str, sid: str) -> Any:
        remove_permission(cloud, name, req.q("Qualifier"), sid)
        return Response(204, {}, b"")

    lambda_service.route("POST", rf"/2015-03-31/functions/{FN}/policy/?", add)
    lambda_service.route("GET", rf"/2015-03-31/functions/{FN}/policy/?", get)
    lambda_service.route("DELETE", rf"/2015-03-31/functions/{FN}/policy/(?P<sid>[^/]+)", remove)
