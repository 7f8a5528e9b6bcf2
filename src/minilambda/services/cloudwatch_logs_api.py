"""The CloudWatch Logs adapter: AWS's json protocol over ``CloudWatchLogs``'s operations."""

from __future__ import annotations

from ..wire import JsonAdapter
from .cloudwatch_logs import CloudWatchLogs

OPERATIONS = (
    "CreateLogGroup",
    "DeleteLogGroup",
    "CreateLogStream",
    "PutLogEvents",
    "DescribeLogGroups",
    "DescribeLogStreams",
    "GetLogEvents",
    "FilterLogEvents",
)


class CloudWatchLogsApi(JsonAdapter):
    """Each operation is the backend method of the same name, taking and returning AWS's JSON."""

    content_type = "application/x-amz-json-1.1"
    validates_input = True

    def __init__(self, backend: CloudWatchLogs) -> None:
        super().__init__(backend, OPERATIONS)
