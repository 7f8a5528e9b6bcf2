"""Amazon API Gateway: REST, HTTP and WebSocket APIs in front of the simulated Lambda.

* Control planes (``cloud.client("apigateway")``, ``("apigatewayv2")``): moto's implementations on
  private per-Cloud backends (``services/moto_bridge.py``), with the operations moto lacks or gets
  wrong answered by ``control.py``.
* Data plane (``dataplane.py``): a request → route → (authorise, throttle, validate) → integration
  → AWS's response, errors, logs and an ``ApiRequest`` record; reached over real HTTP
  (``frontdoor.py``: one loopback server per API, ``cloud.api_url``) or in-process (``cloud.http``).
* Ports for the other API Gateway modules: ``invoke_lambda_integration`` (``ports.py``) runs a
  route's Lambda integration (used by WebSocket routes and authorizers too).
"""

from .ports import IntegrationResult, invoke_lambda_integration

__all__ = ["IntegrationResult", "invoke_lambda_integration"]
