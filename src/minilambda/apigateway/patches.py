"""JSON-patch operations moto does not apply: ``UpdateMethod``, ``UpdateIntegration`` and a
stage's ``canarySettings`` (REST). Paths and value types follow the apigateway API reference."""

from __future__ import annotations

from typing import Any

METHOD_FIELDS = {"authorizationType": ("authorization_type", str), "authorizerId": ("authorizer_id", str),
                 "apiKeyRequired": ("api_key_required", "bool"), "requestValidatorId": ("request_validator_id", str),
                 "operationName": ("operation_name", str), "authorizationScopes": ("authorization_scopes", list)}
INTEGRATION_FIELDS = {"timeoutInMillis": ("timeout_in_millis", int), "uri": ("uri", str),
                      "httpMethod": ("http_method", str), "credentials": ("credentials", str),
                      "passthroughBehavior": ("passthrough_behaviour", str), "contentHandling": ("content_handling", str),
                      "connectionType": ("connection_type", str), "cacheNamespace": ("cache_namespace", str)}
MAPS = {"requestParameters": "request_parameters", "requestModels": "request_models",
        "requestTemplates": "request_templates"}


def _convert(value: Any, kind: Any) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return str(value).lower() == "true"
    if kind is int:
        return int(value)
    if kind is list:
        return value if isinstance(value, list) else [value]
    return str(value)


def apply(target: Any, operations: list[dict[str, Any]], fields: dict[str, tuple[str, Any]]) -> list[str]:
    """Apply patch operations to a moto Method or Integration; returns the paths it refused."""
    refused = []
    for op in operations:
        path = op.get("path", "")
        name, _, key = path.lstrip("/").partition("/")
        key = key.replace("~1", "/")
        if name in fields and not key:
            attr, kind = fields[name]
            setattr(target, attr, None if op.get("op") == "remove" else _convert(op.get("value"), kind))
        elif name in MAPS and key and hasattr(target, MAPS[name]):
            mapping = dict(getattr(target, MAPS[name]) or {})
            if op.get("op") == "remove":
                mapping.pop(key, None)
            else:
                value = op.get("value")
                mapping[key] = (str(value).lower() == "true") if name == "requestParameters" and \
                    str(value).lower() in ("true", "false") and MAPS[name] == "request_parameters" and \
                    not hasattr(target, "uri") else value
            setattr(target, MAPS[name], mapping)
        else:
            refused.append(path)
    return refused


def apply_canary(current: dict[str, Any] | None, operations: list[dict[str, Any]]) -> tuple[dict[str, Any] | None,
                                                                                          list[dict[str, Any]]]:
    """Split a stage patch: ``/canarySettings…`` operations applied here, the rest for moto."""
    canary = dict(current or {})
    rest = []
    touched = False
    for op in operations:
        path = op.get("path", "")
        if not path.startswith("/canarySettings"):
            rest.append(op)
            continue
        touched = True
        key = path[len("/canarySettings"):].strip("/")
        if op.get("op") == "remove" and not key:
            canary = {}
        elif key == "percentTraffic":
            canary["percentTraffic"] = float(op["value"])
        elif key.startswith("stageVariableOverrides/"):
            overrides = dict(canary.get("stageVariableOverrides") or {})
            name = key.split("/", 1)[1]
            if op.get("op") == "remove":
                overrides.pop(name, None)
            else:
                overrides[name] = op["value"]
            canary["stageVariableOverrides"] = overrides
        elif key in ("deploymentId", "useStageCache"):
            canary[key] = op["value"] if key == "deploymentId" else str(op["value"]).lower() == "true"
    return (canary or None) if touched else current, rest
