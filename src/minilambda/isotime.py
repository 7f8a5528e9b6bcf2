"""AWS's timestamp formats, written once: ISO 8601 in UTC with milliseconds, seconds, or ``+0000``."""

from __future__ import annotations

from datetime import datetime, timezone


def _epoch(t: float | datetime | None) -> float:
    if t is None:
        return datetime.now(timezone.utc).timestamp()
    if isinstance(t, datetime):
        return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()
    return float(t)


def iso_millis(t: float | datetime | None) -> str:
    """``2019-09-03T19:37:27.192Z`` (S3, SNS, destination records)."""
    dt = datetime.fromtimestamp(_epoch(t), timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso_seconds(t: float | datetime | None) -> str:
    """``2019-03-01T01:23:45Z`` (EventBridge)."""
    return datetime.fromtimestamp(_epoch(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def lambda_timestamp(t: float) -> str:
    """Lambda's ``LastModified`` format: ``2020-04-10T19:06:32.563+0000``."""
    return iso_millis(t)[:-1] + "+0000"
