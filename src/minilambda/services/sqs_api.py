"""The SQS adapter: AWS's json protocol over ``SqsBackend``'s operations."""

from __future__ import annotations

from ..wire import JsonAdapter
from .sqs import SqsBackend

OPERATIONS = (
    "CreateQueue",
    "GetQueueUrl",
    "ListQueues",
    "DeleteQueue",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "PurgeQueue",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "ListDeadLetterSourceQueues",
)


class SqsApi(JsonAdapter):
    """Each operation is the backend method of the same name, taking and returning AWS's JSON."""

    content_type = "application/x-amz-json-1.0"

    def __init__(self, backend: SqsBackend) -> None:
        super().__init__(backend, OPERATIONS)
