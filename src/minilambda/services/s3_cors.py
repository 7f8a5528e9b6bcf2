"""S3 bucket CORS: which rule answers a browser's request, and the headers S3 then sends.

S3 takes the first rule whose ``AllowedOrigins`` (one ``*`` wildcard each), ``AllowedMethods`` and
``AllowedHeaders`` (for a preflight's ``Access-Control-Request-Headers``) all match; a preflight no
rule matches is 403 ``AccessForbidden``. Rules are plain dicts in botocore's ``CORSRule`` shape.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from .s3 import S3Error

METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")


def check_rules(rules: list[dict[str, Any]]) -> None:
    """Refuse a configuration S3 refuses (no rules, a method S3 does not know, two ``*`` in an origin)."""
    if not rules or len(rules) > 100:
        raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our "
                      "published schema", 400)
    for rule in rules:
        for method in rule.get("AllowedMethods", []):
            if method not in METHODS:
                raise S3Error("InvalidRequest", f"Found unsupported HTTP method in CORS config. Unsupported method is "
                              f"{method}", 400)
        for origin in rule.get("AllowedOrigins", []):
            if origin.count("*") > 1:
                raise S3Error("InvalidRequest", f'AllowedOrigin "{origin}" can not have more than one wildcard.', 400)
        if not rule.get("AllowedMethods") or not rule.get("AllowedOrigins"):
            raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                          "our published schema", 400)


def _matches(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def matching_rule(rules: list[dict[str, Any]], origin: str, method: str,
                  request_headers: list[str]) -> dict[str, Any] | None:
    """The first rule allowing *origin* to use *method* with *request_headers*, else None."""
    for rule in rules:
        if not any(_matches(o, origin) for o in rule.get("AllowedOrigins", [])):
            continue
        if method not in rule.get("AllowedMethods", []):
            continue
        allowed = rule.get("AllowedHeaders", [])
        if all(any(_matches(a, h) for a in allowed) for h in request_headers):
            return rule
    return None


def cors_headers(rule: dict[str, Any], origin: str, request_headers: list[str] | None = None) -> dict[str, str]:
    """The ``Access-Control-*`` headers S3 sends for a matching rule (preflight adds the request's headers)."""
    wildcard = "*" in rule.get("AllowedOrigins", [])
    headers = {"Access-Control-Allow-Origin": "*" if wildcard else origin,
               "Access-Control-Allow-Methods": ", ".join(rule["AllowedMethods"]),
               "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"}
    if not wildcard:
        headers["Access-Control-Allow-Credentials"] = "true"
    if rule.get("ExposeHeaders"):
        headers["Access-Control-Expose-Headers"] = ", ".join(rule["ExposeHeaders"])
    if rule.get("MaxAgeSeconds") is not None:
        headers["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
    if request_headers:
        headers["Access-Control-Allow-Headers"] = ", ".join(request_headers)
    return headers


def preflight(rules: list[dict[str, Any]] | None, origin: str | None, method: str | None,
              request_headers: list[str], resource: str) -> dict[str, str]:
    """The headers of a successful preflight (``OPTIONS``), or S3's error."""
    if not origin or not method:
        raise S3Error("BadRequest", "Insufficient information. Origin request header needed.", 400)
    if rules is None:
        raise S3Error("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", 403,
                      Method=method, ResourceType=resource)
    rule = matching_rule(rules, origin, method, request_headers)
    if rule is None:
        raise S3Error("AccessForbidden", "CORSResponse: This CORS request is not allowed. This is usually because "
                      "the evalution of Origin, request method / Access-Control-Request-Method or "
                      "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.", 403,
                      Method=method, ResourceType=resource)
    return cors_headers(rule, origin, request_headers)
