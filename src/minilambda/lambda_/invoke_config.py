"""Event invoke configs (``PutFunctionEventInvokeConfig`` …): retries, event age and destinations."""

from __future__ import annotations

import re
from typing import Any

from ..errors import AwsError, invalid_parameter, not_found, validation_error
from .registry import Function

DESTINATION_PATTERN = (r"$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:"
                       r"((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)")


class EventInvokeConfigs:
    """The event invoke configs of one Lambda backend (kept on each ``Function``)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def _config_target(self, name: str, qualifier: str | None) -> tuple[Function, str]:
        reg = self.backend.registry
        fname, q = reg.parse_name(name, qualifier)
        fn = reg.functions.get(fname)
        if fn is None or (q not in (None, "$LATEST") and fn.get_version(q) is None and q not in fn.aliases):
            raise AwsError("ResourceNotFoundException", "The function doesn't exist.", 404, message_key="Message")
        return fn, q or "$LATEST"

    def _validate_destination(self, fn: Function, which: str, arn: str | None) -> None:
        if arn is None or arn == "":
            return
        if not re.fullmatch(DESTINATION_PATTERN, arn):
            raise validation_error(
                f"1 validation error detected: Value '{arn}' at 'destinationConfig.{which}.destination' failed to "
                f"satisfy constraint: Member must satisfy regular expression pattern: {DESTINATION_PATTERN}")
        service = arn.split(":")[2]
        reg = self.backend.registry
        if service == "lambda":
            name, _ = reg.parse_name(arn)
            if name == fn.name:
                raise invalid_parameter("You can't specify the function as a destination for itself.")
            if name not in reg.functions:
                raise invalid_parameter(f"The destination ARN {arn} is invalid.")
        elif service not in ("sqs", "sns", "events", "s3"):
            cfg = "onSuccess=OnSuccess(destination={})".format(arn) if which == "onSuccess" else "onSuccess=null"
            fail = "onFailure=OnFailure(destination={})".format(arn) if which == "onFailure" else "onFailure=null"
            raise invalid_parameter(f"The provided destination config DestinationConfig({cfg}, {fail}) is invalid.")

    def put_config(self, name: str, qualifier: str | None, params: dict[str, Any], *,
                   merge: bool) -> dict[str, Any]:
        """Put (or, with *merge*, update) the config of a function or qualifier; AWS's shape."""
        settings = {k: params[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
                    if k in params}
        if not settings:
            raise invalid_parameter("You must specify at least one of error handling or destination setting.")
        fn, q = self._config_target(name, qualifier)
        if "MaximumRetryAttempts" in settings and not 0 <= settings["MaximumRetryAttempts"] <= 2:
            raise validation_error(
                f"1 validation error detected: Value '{settings['MaximumRetryAttempts']}' at 'maximumRetryAttempts' "
                "failed to satisfy constraint: Member must have value less than or equal to 2")
        age = settings.get("MaximumEventAgeInSeconds")
        if age is not None and not 60 <= age <= 21600:
            bound = "less than or equal to 21600" if age > 21600 else "greater than or equal to 60"
            raise validation_error(
                f"1 validation error detected: Value '{age}' at 'maximumEventAgeInSeconds' failed to satisfy "
                f"constraint: Member must have value {bound}")
        dest = settings.get("DestinationConfig") or {}
        for which, key in (("onSuccess", "OnSuccess"), ("onFailure", "OnFailure")):
            self._validate_destination(fn, which, (dest.get(key) or {}).get("Destination"))
        current = fn.event_invoke_configs.get(q, {}) if merge else {}
        config = {**current, **settings}
        if "DestinationConfig" in settings and merge:
            config["DestinationConfig"] = {**current.get("DestinationConfig", {}), **settings["DestinationConfig"]}
        config["LastModified"] = self.backend.clock.now()
        fn.event_invoke_configs[q] = config
        return self._config_shape(fn, q, config)

    def _config_shape(self, fn: Function, q: str, config: dict[str, Any]) -> dict[str, Any]:
        dest = config.get("DestinationConfig") or {}
        out: dict[str, Any] = {
            "DestinationConfig": {"OnFailure": dict(dest.get("OnFailure") or {}),
                                  "OnSuccess": dict(dest.get("OnSuccess") or {})},
            "FunctionArn": self.backend.registry.function_arn(fn.name, q),
            "LastModified": config["LastModified"],
        }
        for k in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts"):
            if k in config:
                out[k] = config[k]
        return out

    def get_config(self, name: str, qualifier: str | None) -> dict[str, Any]:
        reg = self.backend.registry
        fname, q = reg.parse_name(name, qualifier)
        fn = reg.functions.get(fname)
        q = q or "$LATEST"
        if fn is None or q not in fn.event_invoke_configs:
            raise not_found(f"The function {reg.function_arn(fname, q)} doesn't have an EventInvokeConfig")
        return self._config_shape(fn, q, fn.event_invoke_configs[q])

    def delete_config(self, name: str, qualifier: str | None) -> None:
        reg = self.backend.registry
        fname, q = reg.parse_name(name, qualifier)
        fn = reg.functions.get(fname)
        q = q or "$LATEST"
        if fn is None or fn.event_invoke_configs.pop(q, None) is None:
            raise not_found(f"The function {reg.function_arn(fname, q)} doesn't have an EventInvokeConfig")

    def list_configs(self, name: str, qualifier: str | None) -> dict[str, Any]:
        fn, _ = self._config_target(name, qualifier)
        items = [self._config_shape(fn, q, c) for q, c in fn.event_invoke_configs.items()]
        return {"FunctionEventInvokeConfigs": items}

