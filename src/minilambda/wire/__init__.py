"""The wire layer: AWS protocols in and out, and one dispatch by operation name.

Two transports feed one ``Dispatcher``: ``attach_in_process`` (a real botocore client answered
without a socket; botocore names the operation) and ``LoopbackEndpoint`` (127.0.0.1 HTTP for
handlers' boto3, the AWS CLI and ``serve``; the operation is named from botocore's service model).
The dispatcher sets ``request.operation`` (and ``request.labels`` for rest protocols) and calls the
service's adapter: ``adapter.handle(Request) -> Response``.

Adding a service takes three pieces:

1. a backend, ``services/<name>.py``: state and operations in plain Python (no wire import);
2. an adapter, ``services/<name>_api.py``: an ``Adapter`` whose ``operations`` maps each botocore
   operation name to a handler ``(Request) -> Response`` that parses, calls the backend and
   answers in AWS's shapes (``JsonAdapter`` does it for the json protocol from a list of names);
3. one line in ``Cloud._wire_services``: ``self.dispatcher.register("<botocore name>", adapter)``.

An operation added to an existing service (say Lambda's ``AddPermission``) is one entry in that
adapter's ``operations`` table (``dispatcher.adapter("lambda").operations["AddPermission"] = …``,
or in ``LambdaApi._operations``) calling a backend method.
"""

from .adapters import Adapter, JsonAdapter, QueryAdapter
from .dispatch import Dispatcher
from .inprocess import attach_in_process
from .loopback import LoopbackEndpoint, service_of
from .messages import Headers, Request, Response
from .session import isolated_botocore_session

__all__ = ["Adapter", "Dispatcher", "Headers", "JsonAdapter", "LoopbackEndpoint", "QueryAdapter", "Request", "Response",
           "attach_in_process", "isolated_botocore_session", "service_of"]
