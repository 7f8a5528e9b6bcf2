"""What API Gateway sees of the account it runs in (``GatewayHost``): not the ``Cloud``, only the
clock, ids, logs, the Lambda backend, botocore clients (the data plane reads its configuration
through the control plane's API) and the loopback endpoint's address. The wiring fills
``apigateway`` and ``websocket_apis`` once both exist (each reads the other's configuration)."""

from __future__ import annotations

import random
from typing import Any, Callable

from ..clock import Clock


class GatewayHost:
    """The account, as API Gateway's data plane, WebSocket APIs and integrations use it."""

    def __init__(self, *, clock: Clock, rng: random.Random, region: str, account_id: str, logs: Any,
                 lambda_: Any, client: Callable[..., Any], endpoint_url: Callable[[], str],
                 closed: Callable[[], bool]) -> None:
        self.clock = clock
        self.rng = rng
        self.region = region
        self.account_id = account_id
        self.logs = logs  # CloudWatch Logs: execution and access logs
        self.lambda_ = lambda_  # the LambdaBackend: resolve, permissions, invoke
        self.client = client  # botocore clients answered in-process
        self._endpoint_url = endpoint_url
        self._closed = closed
        self.apigateway: Any = None  # dataplane.ApiGateway, set by the wiring
        self.websocket_apis: Any = None  # websocket.WebSocketApis, set by the wiring

    @property
    def endpoint_url(self) -> str:
        """The Cloud's loopback endpoint (``@connections`` domain names point at it)."""
        return self._endpoint_url()

    @property
    def closed(self) -> bool:
        """True once the Cloud is closing: no new Lambda work may start."""
        return self._closed()
