"""AWS event-source services answered in AWS's wire protocols: SQS, S3, SNS, EventBridge.

Each service is a ``minilambda.service.Service`` (feed it a ``Request``, get AWS's ``Response``)
with a Python-level API for the platform (``SqsService.receive_batch``, ``SnsService.publish_raw``
…). Deliveries to Lambda go through a ``notify(target_arn, event)`` callback given to the
service; deliveries to SQS/SNS go straight to those services when they are wired together.
"""

from .events import EventBridgeService, EventsService
from .s3 import S3Service
from .sns import SnsService
from .sqs import SqsService

__all__ = ["EventBridgeService", "EventsService", "S3Service", "SnsService", "SqsService"]
