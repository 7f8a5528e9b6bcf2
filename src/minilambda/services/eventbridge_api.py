"""The EventBridge adapter: AWS's json protocol over ``EventBridgeBackend``'s operations."""

from __future__ import annotations

from ..wire import JsonAdapter
from .eventbridge import EventBridgeBackend

OPERATIONS = (
    "PutRule",
    "DescribeRule",
    "ListRules",
    "EnableRule",
    "DisableRule",
    "DeleteRule",
    "PutTargets",
    "RemoveTargets",
    "ListTargetsByRule",
    "ListRuleNamesByTarget",
    "PutEvents",
)


class EventBridgeApi(JsonAdapter):
    """Each operation is the backend method of the same name, taking and returning AWS's JSON."""

    content_type = "application/x-amz-json-1.1"

    def __init__(self, backend: EventBridgeBackend) -> None:
        super().__init__(backend, OPERATIONS)
