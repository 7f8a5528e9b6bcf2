"""Cognito user pools' wire API: moto answers (``MotoService``); tokens are re-signed by ``CognitoBackend``.

The adapter decides nothing: it swaps our access tokens for moto's on the way in, and hands
successful ``AuthenticationResult``s to the backend to re-sign on the way out.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

from ..errors import AwsError
from ..wire.adapters import Adapter
from ..wire.messages import Request, Response
from .cognito import AUTH_OPERATIONS, CognitoBackend, private_region_agnostic_backend
from .moto_bridge import MotoService, json_error_response


class CognitoApi(Adapter):
    """``cognito-idp`` (json protocol): every operation goes to moto; auth results are re-signed."""

    service_name = "cognito-idp"
    validates_input = True  # the model's constraints first: InvalidParameterException, as Cognito answers

    def __init__(self, backend: CognitoBackend, moto: MotoService) -> None:
        self.backend = backend
        self.moto = moto
        self.validation_rules = moto.validation_rules
        self._patched = False  # moto is imported on first use, not when the Cloud starts

    def unknown_operation(self, request: Request) -> AwsError:
        return self.moto.unknown_operation(request)

    def error_response(self, err: AwsError, request: Request) -> Response:
        return json_error_response(err)  # json protocol: botocore reads the code from ``__type``

    @functools.cached_property
    def operations(self) -> dict[str, Callable[[Request], Response]]:  # type: ignore[override]
        return {name: self.forward for name in self.moto.operations}

    def handle(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):  # a pool's public issuer documents (unsigned GETs)
            document = self.backend.well_known(request.path, request.headers.get("host", ""))
            if document is not None:
                return Response(document[0], {"Content-Type": "application/json"}, json.dumps(document[1]).encode())
        return super().handle(request)

    def forward(self, request: Request) -> Response:
        if not self._patched:
            private_region_agnostic_backend(self.moto.backends)
            self._patched = True
        body = _parse(request)
        if isinstance(body, dict) and "AccessToken" in body:
            moto_token = self.backend.moto_access_token(body["AccessToken"])
            if moto_token is not body["AccessToken"]:
                body["AccessToken"] = moto_token
                request.body = json.dumps(body).encode()
        response = self.moto.forward(request)
        if request.operation in AUTH_OPERATIONS and response.status == 200 and isinstance(body, dict):
            data = json.loads(response.body)
            result = data.get("AuthenticationResult")
            if result and "IdToken" in result:
                self.backend.resign(result, body)
                response = Response(response.status, response.headers, json.dumps(data).encode())
        return response


def _parse(request: Request) -> Any:
    try:
        return json.loads(request.body) if request.body else {}
    except ValueError:
        return None
