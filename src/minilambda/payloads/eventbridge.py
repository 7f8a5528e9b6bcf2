"""EventBridge events and scheduled events."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any, Sequence

from ..ids import new_uuid
from ..isotime import iso_seconds
from ._common import DEFAULT_ACCOUNT, DEFAULT_REGION, _arn_parts


def eventbridge_event(source: str, detail_type: str, detail: Any = None, *,
                      resources: Sequence[str] = (), account_id: str = DEFAULT_ACCOUNT,
                      region: str = DEFAULT_REGION, time: float | datetime | None = None,
                      event_id: str | None = None, rng: random.Random | None = None) -> dict[str, Any]:
    """An EventBridge event as a target receives it.

    >>> e = eventbridge_event("my.app", "Order Placed", {"id": 1}, time=0, event_id="x")
    >>> list(e)
    ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']
    """
    return {
        "version": "0",
        "id": event_id or new_uuid(rng),
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": iso_seconds(time),
        "region": region,
        "resources": list(resources),
        "detail": {} if detail is None else detail,
    }


def scheduled_event(rule_arn: str = f"arn:aws:events:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:rule/my-schedule",
                    *, time: float | datetime | None = None, event_id: str | None = None,
                    rng: random.Random | None = None) -> dict[str, Any]:
    """EventBridge's ``Scheduled Event`` (account and region come from the rule ARN).

    >>> e = scheduled_event("arn:aws:events:us-east-2:123456789012:rule/my-schedule",
    ...                     time=1551403425, event_id="cdc73f9d-aea9-11e3-9d5a-835b769c0d9c")
    >>> e["detail-type"], e["source"], e["time"], e["region"], e["detail"]
    ('Scheduled Event', 'aws.events', '2019-03-01T01:23:45Z', 'us-east-2', {})
    """
    region, account = _arn_parts(rule_arn)
    return eventbridge_event("aws.events", "Scheduled Event", {}, resources=[rule_arn],
                             account_id=account, region=region, time=time, event_id=event_id, rng=rng)
