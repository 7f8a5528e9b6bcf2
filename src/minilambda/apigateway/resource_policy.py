"""REST API resource policies (``policy`` on CreateRestApi/UpdateRestApi): ``execute-api:Invoke``
Allow/Deny for a caller, as API Gateway evaluates them [AGDG apigateway-authorization-flow.md].

Pure (no I/O): ``evaluate(document, Caller, arn) -> "Allow" | "Deny" | "NotAllowed"`` (an explicit
Deny wins, then any Allow; no match is an implicit deny) and ``decide(...)``, which combines it with
the method's authorization type:

* ``NONE``: only an explicit Allow lets the caller in;
* Lambda or Cognito authorizer: an explicit Deny refuses before the authorizer runs (the authorizer
  then decides); an authorizer's own Deny combined with a resource-policy Allow is not modelled;
* ``AWS_IAM``: a caller of the API's own account gets in unless explicitly denied (IAM identity
  policies are not enforced in this simulator, so they count as allowing); another account's caller
  needs an explicit Allow for its principal (AWS: both policies must allow).

Principals: ``"*"``, ``{"AWS": "*"}`` and ``{"AWS": [account id | arn:aws:iam::<acct>:root | user
or role ARN]}`` (IAM wildcards allowed). Conditions: ``IpAddress``/``NotIpAddress`` on
``aws:SourceIp``; ``String(Not)Equals``/``String(Not)Like`` on other keys, which are absent here
(``aws:SourceVpce``, ``aws:SourceVpc``: no request arrives through a VPC endpoint, as for a public
endpoint on AWS), so ``StringNotEquals`` matches and ``StringEquals`` does not. Any other operator
makes its statement not apply.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from .policy import wildcard_match

Verdict = Literal["Allow", "Deny", "NotAllowed"]
ACTION = "execute-api:Invoke"


@dataclass(frozen=True)
class Caller:
    """Who is calling: ``arn`` and ``account`` for a SigV4-signed (``AWS_IAM``) caller, else anonymous."""

    source_ip: str
    arn: str | None = None
    account: str | None = None

    @property
    def name(self) -> str:
        """How AWS names the caller in its refusal: the IAM ARN or ``anonymous``."""
        return self.arn or "anonymous"


@dataclass(frozen=True)
class Decision:
    """``allowed``; otherwise the 403 body and execution-log line AWS gives."""

    allowed: bool
    body: str = ""
    log: str = ""


def parse(policy: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The policy document (GetRestApi returns it as a JSON string, sometimes with escaped quotes)."""
    if not policy:
        return None
    if isinstance(policy, Mapping):
        return dict(policy)
    try:
        found = json.loads(policy)
    except ValueError:
        found = json.loads(policy.replace('\\"', '"'))
    return json.loads(found) if isinstance(found, str) else found


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, Mapping)) else list(value or [])


def _principal_matches(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for entry in _as_list(principal.get("AWS")):
        if entry == "*":
            return True
        if caller.arn is None:
            continue
        if entry in (caller.account, f"arn:aws:iam::{caller.account}:root") or wildcard_match(str(entry), caller.arn):
            return True
    return False


def _in_cidrs(ip: str, cidrs: list[Any]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(str(c), strict=False) for c in cidrs)


def _condition_matches(condition: Mapping[str, Any], caller: Caller) -> bool:
    """Every operator and key must match (IAM: AND across them, OR across a key's values)."""
    for operator, tests in condition.items():
        for key, values in (tests or {}).items():
            values = _as_list(values)
            key = key.lower()
            if operator in ("IpAddress", "NotIpAddress") and key == "aws:sourceip":
                inside = _in_cidrs(caller.source_ip, values)
                if inside != (operator == "IpAddress"):
                    return False
            elif operator in ("StringEquals", "StringLike"):
                return False  # the key is absent here (aws:SourceVpce, aws:SourceVpc, ...)
            elif operator in ("StringNotEquals", "StringNotLike"):
                continue  # an absent key is "not equal"
            else:
                return False  # an operator this simulator does not evaluate: the statement does not apply
    return True


def _applies(statement: Mapping[str, Any], caller: Caller, arn: str) -> bool:
    actions = _as_list(statement.get("Action"))
    if not any(wildcard_match(str(a), ACTION, case_sensitive=False) for a in actions):
        return False
    api_prefix = arn.split("/", 1)[0]  # "execute-api:/*" is AWS's shorthand for this API's ARN
    resources = [api_prefix + str(r)[len("execute-api:"):] if str(r).startswith("execute-api:/") else str(r)
                 for r in _as_list(statement.get("Resource"))]
    if not any(wildcard_match(r, arn) for r in resources):
        return False
    if not _principal_matches(statement.get("Principal"), caller):
        return False
    return _condition_matches(statement.get("Condition") or {}, caller)


def evaluate(document: Mapping[str, Any], caller: Caller, arn: str) -> Verdict:
    """``Deny`` if any applicable statement denies, else ``Allow`` if one allows, else ``NotAllowed``."""
    verdict: Verdict = "NotAllowed"
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, Mapping) or not _applies(statement, caller, arn):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        if statement.get("Effect") == "Allow":
            verdict = "Allow"
    return verdict


def _refusal(caller: Caller, arn: str, explicit: bool) -> Decision:
    # anonymous texts: aws-facts §8.10 and aws-facts-2 §6.1 (3P captures); the IAM-caller form is unverified
    suffix = " with an explicit deny" if explicit else ""
    message = f"User: {caller.name} is not authorized to perform: {ACTION} on resource: {arn}{suffix}"
    return Decision(False, json.dumps({"Message": message}, separators=(",", ":")),
                    f"Execution failed due to resource policy: {message}")  # log line wording unverified


def decide(document: Mapping[str, Any] | None, caller: Caller, arn: str, authorization_type: str) -> Decision:
    """Whether the resource policy lets this caller invoke *arn* (see the module docstring)."""
    if document is None:
        return Decision(True)
    verdict = evaluate(document, caller, arn)
    if verdict == "Deny":
        return _refusal(caller, arn, explicit=True)
    if verdict == "Allow" or authorization_type in ("CUSTOM", "COGNITO_USER_POOLS"):
        return Decision(True)
    if authorization_type == "AWS_IAM" and caller.arn is not None and caller.account == _account_of(arn):
        return Decision(True)  # same account: the caller's IAM policy may allow (not enforced here)
    return _refusal(caller, arn, explicit=False)


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""
