"""Amazon API Gateway: REST, HTTP and WebSocket APIs in front of the simulated Lambda.

* Control planes (``cloud.client("apigateway")``, ``("apigatewayv2")``): moto's implementations on
  private per-Cloud backends (``services/moto_bridge.py``), with the operations moto lacks or gets
  wrong answered by ``control.py``.
* Data plane (``dataplane.py`` → ``rest.py`` / ``http_api.py``): a request → route → (authorise,
  throttle, validate) → integration → AWS's response, errors, logs and an ``ApiRequest`` record;
  reached over real HTTP (``frontdoor.py``: one loopback server per API, ``cloud.api_url``) or
  in-process (``cloud.http``) through the same code.
* Ports for the other API Gateway modules: ``invoke_lambda_integration`` (``ports.py``) runs a
  route's Lambda integration (used by WebSocket routes and authorizers too).

``install(cloud)`` is the one wiring function: it returns the Cloud's ``ApiGateway``.
"""

from __future__ import annotations

from typing import Any

from .ports import IntegrationResult, invoke_lambda_integration


def install(cloud: Any) -> Any:
    """Give *cloud* API Gateway: both control planes, the data plane, Lambda permissions."""
    from ..services.moto_bridge import moto_service
    from .control import ApiGatewayControl
    from .dataplane import ApiGateway
    from .permissions import register_routes

    gateway = ApiGateway(cloud)
    control = ApiGatewayControl(moto_service(cloud, "apigateway", register=False), gateway)
    cloud.add_service("apigateway", control)
    cloud.add_service("apigatewayv2", control)
    register_routes(cloud.service("lambda"))
    from .management import install as install_websockets

    install_websockets(cloud)  # WebSocket APIs and @connections (cloud.websocket_apis)
    return gateway


__all__ = ["IntegrationResult", "install", "invoke_lambda_integration"]
