"""Amazon API Gateway: REST, HTTP and WebSocket APIs in front of the simulated Lambda.

* Control planes (``cloud.client("apigateway")``, ``("apigatewayv2")``): moto's implementations on
  private per-Cloud backends (``services/moto_bridge.py``), with the operations moto lacks or gets
  wrong answered by ``control.py`` (``ApiGatewayControl``, the adapter registered for both).
* Data plane (``dataplane.py`` → ``rest.py`` / ``http_api.py``): a request → route → (authorise,
  throttle, validate) → integration → AWS's response, errors, logs and an ``ApiRequest`` record;
  reached over real HTTP (``frontdoor.py``: one loopback server per API, ``cloud.api_url``) or
  in-process (``cloud.http``) through the same code.
* WebSocket APIs (``websocket.py``, ``websocket_server.py``) and ``@connections`` (``management.py``).
* The one door to Lambda: ``invoke_lambda_integration`` (``ports.py``) resolves, checks the
  function's resource policy (``LambdaBackend.permissions``) and invokes through ``LambdaBackend``.

Wiring lives in ``Cloud._wire_app_services``: a ``GatewayHost`` (``host.py``: what API Gateway sees
of the account, never the Cloud itself), the data plane, one control adapter each for ``apigateway``
and ``apigatewayv2``, ``WebSocketApis`` and the ``apigatewaymanagementapi`` adapter.
"""

from __future__ import annotations

from .ports import IntegrationResult, invoke_lambda_integration

__all__ = ["IntegrationResult", "invoke_lambda_integration"]
