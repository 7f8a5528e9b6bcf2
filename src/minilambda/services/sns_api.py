"""The SNS adapter: AWS's query protocol (form-encoded POST, XML answers) over ``SnsBackend``."""

from __future__ import annotations

from ..errors import AwsError
from ..ids import new_uuid
from ..wire import QueryAdapter, Request
from .sns import SnsBackend, _error

OPERATIONS = (
    "CreateTopic", "ListTopics", "DeleteTopic", "GetTopicAttributes", "SetTopicAttributes", "Subscribe",
    "Unsubscribe", "ListSubscriptions", "ListSubscriptionsByTopic", "GetSubscriptionAttributes",
    "SetSubscriptionAttributes", "Publish",
)


class SnsApi(QueryAdapter):
    """Each ``Action`` is the backend method of the same name."""

    namespace = "http://sns.amazonaws.com/doc/2010-03-31/"

    def __init__(self, backend: SnsBackend) -> None:
        super().__init__(backend, OPERATIONS, lambda: new_uuid(backend.rng))

    def unknown_operation(self, request: Request) -> AwsError:
        return _error("InvalidAction", "The action or operation requested is invalid. "
                      "Verify that the action is typed correctly.")
