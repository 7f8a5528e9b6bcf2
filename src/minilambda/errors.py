"""Errors: AWS errors as the services send them, and the simulator's own misuse errors.

An ``AwsError`` is raised inside a service implementation and turned into AWS's wire answer
(HTTP status, ``x-amzn-ErrorType`` header, JSON body with ``Type`` and ``message``/``Message``);
botocore then parses it into its own ``ClientError`` subclasses for the caller, exactly as it
would for real AWS. Users therefore catch ``botocore.exceptions.ClientError`` or
``lam.exceptions.ResourceNotFoundException``, never a minilambda class.

``MiniLambdaError`` is for misuse of the simulator itself (not an AWS error).
"""

from __future__ import annotations

from typing import Any


class AwsError(Exception):
    """An AWS service error: *code* (``x-amzn-ErrorType``), HTTP *status*, *message*.

    Args:
        code: AWS's error code, e.g. ``ResourceNotFoundException``.
        message: the human message, AWS's wording where known.
        status: the HTTP status code AWS uses for this error.
        message_key: ``"message"`` (most Lambda errors) or ``"Message"`` (Lambda's 404s).
        error_type: the ``Type`` body field (``"User"`` for Lambda's client errors) or None.
        extra: more body fields, e.g. ``{"Reason": "..."}`` on 429s.
    """

    def __init__(self, code: str, message: str, status: int = 400, *, message_key: str = "message",
                 error_type: str | None = "User", extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.message_key = message_key
        self.error_type = error_type
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON error body, keys in AWS's order."""
        out: dict[str, Any] = dict(self.extra)
        if self.error_type is not None:
            out["Type"] = self.error_type
        out[self.message_key] = self.message
        return out


# Shorthands for the errors used everywhere (status codes from botocore's Lambda model).

def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message, 400)


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400, error_type=None)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 404, message_key="Message")


def conflict(message: str) -> AwsError:
    return AwsError("ResourceConflictException", message, 409)


def too_many_requests(reason: str, message: str = "Rate Exceeded.") -> AwsError:
    return AwsError("TooManyRequestsException", message, 429, extra={"Reason": reason})


def too_large(message: str) -> AwsError:
    return AwsError("RequestEntityTooLargeException", message, 413, error_type=None)


class MiniLambdaError(Exception):
    """Misuse of the simulator itself (not something AWS would answer)."""


class CloudClosedError(MiniLambdaError, RuntimeError):
    """The Cloud was closed; create a new one."""


class UnknownServiceError(MiniLambdaError, ValueError):
    """``cloud.client(name)`` was asked for a service the simulator does not offer."""
