"""DynamoDB's wire API: moto answers (``MotoService``); ``DynamoDBBackend`` hears of each success.

The adapter decides nothing: it forwards every operation to moto and, after a 200, hands the
parsed request and response to the backend (request units, stream records, stream mappings).
"""

from __future__ import annotations

import functools
import json
from typing import Callable

from ..errors import AwsError
from ..wire.adapters import Adapter
from ..wire.messages import Request, Response
from .dynamodb import DynamoDBBackend
from .moto_bridge import MotoService, json_error_response


class DynamoDBApi(Adapter):
    """``dynamodb`` (json protocol): moto's answer, then the backend is told of the call."""

    service_name = "dynamodb"
    validates_input = True  # the model's constraints first: ValidationException, as DynamoDB answers

    def __init__(self, backend: DynamoDBBackend, moto: MotoService) -> None:
        self.backend = backend
        self.moto = moto
        self.validation_rules = moto.validation_rules

    def unknown_operation(self, request: Request) -> AwsError:
        return self.moto.unknown_operation(request)

    def error_response(self, err: AwsError, request: Request) -> Response:
        return json_error_response(err)  # json protocol: botocore reads the code from ``__type``

    @functools.cached_property
    def operations(self) -> dict[str, Callable[[Request], Response]]:  # type: ignore[override]
        return {name: self.forward for name in self.moto.operations}

    def forward(self, request: Request) -> Response:
        response = self.moto.forward(request)
        if response.status == 200 and request.operation:
            try:
                body, answer = json.loads(request.body or b"{}"), json.loads(response.body or b"{}")
            except ValueError:
                body, answer = {}, {}
            self.backend.succeeded(request.operation, body, answer)
        return response
