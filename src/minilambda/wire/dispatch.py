"""One dispatch for every service: name the operation, extract rest labels, call the adapter.

Both transports end here: in-process clients (``attach_in_process``) arrive with the operation
already named by botocore; loopback HTTP requests are named from the service model.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from ..errors import AwsError
from .messages import Request, Response
from .operations import OperationIndex
from .validation import Rules, validate_request
from .session import isolated_botocore_session


class Adapter(Protocol):
    """What the dispatcher needs of an adapter: one wire request in, one wire response out."""

    def handle(self, request: Request) -> Response: ...


class Dispatcher:
    """The adapters of one Cloud by botocore service name, and the operation index of each."""

    def __init__(self) -> None:
        self._adapters: dict[str, Adapter] = {}
        self._indexes: dict[str, OperationIndex] = {}
        self._models: Any = None  # a botocore session of our own: clients customise (mutate) theirs
        self._lock = threading.Lock()

    def register(self, service: str, adapter: Adapter) -> None:
        """Serve *service* (``"sqs"``, ``"lambda"``, …) with *adapter*: the one line a new service adds."""
        self._adapters[service] = adapter

    def adapter(self, service: str) -> Adapter:
        """The adapter serving *service* (to add an operation: ``adapter.operations[name] = handler``)."""
        return self._adapters[service]

    @property
    def services(self) -> list[str]:
        return sorted(self._adapters)

    def __contains__(self, service: object) -> bool:
        return service in self._adapters

    def index(self, service: str) -> OperationIndex:
        with self._lock:
            index = self._indexes.get(service)
            if index is None:
                if self._models is None:
                    self._models = isolated_botocore_session()
                index = self._indexes[service] = OperationIndex(self._models.get_service_model(service))
            return index

    def dispatch(self, service: str | None, request: Request) -> Response:
        """Answer one wire request for *service*."""
        adapter = self._adapters.get(service or "")
        if adapter is None:
            return Response.json({"message": f"minilambda does not offer the {service!r} service"}, 400,
                                 {"x-amzn-ErrorType": "UnknownServiceException"})
        index = self.index(service)  # type: ignore[arg-type]
        if request.operation is None:
            request.operation = index.name(request)
        if request.operation and index.protocol.startswith("rest"):
            request.labels = index.labels(request.operation, request)
        if getattr(adapter, "validates_input", False) and request.operation in index.operation_names:
            try:  # AWS's front end checks the model's constraints before the service sees the request
                rules = getattr(adapter, "validation_rules", None) or Rules()
                validate_request(index.operation_model(request.operation), request, rules)
            except AwsError as err:
                return adapter.error_response(err, request)  # type: ignore[attr-defined]
        return adapter.handle(request)
