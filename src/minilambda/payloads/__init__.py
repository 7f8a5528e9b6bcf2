"""Payload builders (events): the exact JSON shapes AWS hands a Lambda function for each trigger.

Each builder returns a plain ``dict`` (ready for ``json.dumps``) with AWS's keys, in AWS's order,
``null`` where AWS sends ``null`` and absent where AWS leaves a key out. The simulator's own
services (SQS, S3, SNS, EventBridge) build their events with these functions, so each shape has
one source.

Pass ``rng=random.Random(seed)`` (or explicit ids and times) for deterministic output.

>>> import random
>>> e = sqs_event(["hello"], queue_arn="arn:aws:sqs:us-east-1:123456789012:q", rng=random.Random(1),
...               time=1_700_000_000.0)
>>> e["Records"][0]["body"], e["Records"][0]["eventSource"], e["Records"][0]["awsRegion"]
('hello', 'aws:sqs', 'us-east-1')
"""

from __future__ import annotations

from ..ids import new_uuid
from ..isotime import iso_millis, iso_seconds
from ._common import DEFAULT_ACCOUNT, DEFAULT_REGION
from .apigateway import api_gateway_http_event, api_gateway_rest_event
from .dynamodb import dynamodb_record, dynamodb_stream_event, to_dynamodb_json
from .eventbridge import eventbridge_event, scheduled_event
from .s3 import s3_event, s3_key_for_event, s3_record
from .sns import sns_envelope, sns_event, sns_record
from .sqs import md5_of_message_attributes, sqs_event, sqs_record

__all__ = [
    "api_gateway_rest_event", "api_gateway_http_event", "s3_event", "s3_record", "s3_key_for_event",
    "sqs_event", "sqs_record", "sns_event", "sns_record", "sns_envelope", "scheduled_event",
    "eventbridge_event", "dynamodb_stream_event", "dynamodb_record", "to_dynamodb_json",
    "md5_of_message_attributes", "iso_millis", "iso_seconds", "new_uuid", "DEFAULT_ACCOUNT", "DEFAULT_REGION",
]
