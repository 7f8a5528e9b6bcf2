"""CloudWatch Logs, as much as the course reads: log groups, streams and events, served to
``cloud.client("logs")`` in AWS's ``json`` protocol (``get_log_events``, ``filter_log_events``,
``describe_log_groups``, ``describe_log_streams``, ``put_log_events`` …).

Each execution environment writes to its own stream ``YYYY/MM/DD/[$LATEST]<32 hex>`` of group
``/aws/lambda/<function>``; every output line is one event, as in CloudWatch.
Simplification: ``filterPattern`` supports plain terms (all must appear) and quoted phrases,
not CloudWatch's JSON or space-delimited pattern syntax.
"""

from __future__ import annotations

import re
import shlex
import threading
from dataclasses import dataclass, field
from typing import Any

from ..errors import AwsError
from ._util import next_token, token_position


@dataclass(slots=True)
class LogEvent:
    timestamp: int  # ms
    message: str
    ingestion_time: int
    seq: int


@dataclass
class LogStream:
    name: str
    created: int
    events: list[LogEvent] = field(default_factory=list)


@dataclass
class LogGroup:
    name: str
    created: int
    streams: dict[str, LogStream] = field(default_factory=dict)


# CloudWatch Logs quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html):
# an event is at most 256 KB counting 26 bytes of overhead; a response holds at most 1 MB or 10,000 events.
MAX_EVENT_BYTES = 262_144
EVENT_OVERHEAD = 26
MAX_RESPONSE_BYTES = 1_048_576
MAX_EVENTS = 10_000


def split_message(line: str, limit: int = MAX_EVENT_BYTES - EVENT_OVERHEAD) -> list[str]:
    """A line as Lambda sends it to CloudWatch: events of at most 256 KB − 26 bytes (UTF-8), cut at
    character boundaries (observed: a long line arrives as events of 262,118 bytes and the rest)."""
    data = line.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return [line]
    parts, start = [], 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never inside a UTF-8 sequence
            end -= 1
        parts.append(data[start:end].decode("utf-8", "surrogatepass"))
        start = end
    return parts


def _group_name(body: dict[str, Any]) -> str:
    """``logGroupName`` (or ``logGroupIdentifier``), as AWS requires one of them."""
    name = body.get("logGroupName") or body.get("logGroupIdentifier")
    if not name:
        raise AwsError("InvalidParameterException", "Should provide either logGroupName or logGroupIdentifier.", 400,
                       error_type=None)
    return str(name).rsplit(":log-group:", 1)[-1].removesuffix(":*")


def _bad_token() -> AwsError:
    return AwsError("InvalidParameterException", "The specified nextToken is invalid.", 400, error_type=None)


def _page_limit(body: dict[str, Any], default: int) -> int:
    return max(1, min(int(body.get("limit") or default), default))


def _fitting(sizes: list[int], limit: int) -> int:
    """How many leading events fit in one response (≤ *limit* events, ≤ 1 MB)."""
    total = 0
    for count, size in enumerate(sizes[:limit]):
        total += size + EVENT_OVERHEAD
        if total > MAX_RESPONSE_BYTES and count:
            return count
    return min(len(sizes), limit)


def _not_found(what: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"The specified {what} does not exist.", 400, error_type=None)


class CloudWatchLogs:
    """All log groups of one Cloud, and the Logs operations over them (no HTTP)."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.groups: dict[str, LogGroup] = {}
        self._lock = threading.Lock()
        self._seq = 0

    def _ms(self) -> int:
        return int(self.clock.now() * 1000)

    # -- Python API used by the runtime ------------------------------------------------------

    def write(self, group: str, stream: str, lines: list[str], timestamp: float | None = None) -> None:
        """Append one event per line to a stream (groups and streams are created on first use)."""
        ts = int((self.clock.now() if timestamp is None else timestamp) * 1000)
        with self._lock:
            g = self.groups.get(group)
            if g is None:
                g = self.groups[group] = LogGroup(group, ts)
            s = g.streams.get(stream)
            if s is None:
                s = g.streams[stream] = LogStream(stream, ts)
            for line in lines:
                for part in split_message(line if line.endswith("\n") else line + "\n"):
                    self._seq += 1
                    s.events.append(LogEvent(ts, part, ts, self._seq))

    def lines(self, group: str, stream: str | None = None) -> list[str]:
        """All messages of a group (or one stream), oldest first, for tests and notebooks."""
        g = self.groups.get(group)
        if g is None:
            return []
        streams = [g.streams[stream]] if stream else list(g.streams.values())
        events = sorted((e for s in streams for e in s.events), key=lambda e: (e.timestamp, e.seq))
        return [e.message for e in events]

    # -- API operations ----------------------------------------------------------------------

    def CreateLogGroup(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body["logGroupName"]
        with self._lock:
            if name in self.groups:
                raise AwsError("ResourceAlreadyExistsException", "The specified log group already exists", 400,
                               error_type=None)
            self.groups[name] = LogGroup(name, self._ms())
        return {}

    def DeleteLogGroup(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self.groups.pop(body["logGroupName"], None) is None:
                raise _not_found("log group")
        return {}

    def CreateLogStream(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            g = self.groups.get(_group_name(body))
            if g is None:
                raise _not_found("log group")
            if body.get("logStreamName") in g.streams:
                raise AwsError("ResourceAlreadyExistsException", "The specified log stream already exists", 400,
                               error_type=None)
            g.streams[body["logStreamName"]] = LogStream(body["logStreamName"], self._ms())
        return {}

    def PutLogEvents(self, body: dict[str, Any]) -> dict[str, Any]:
        g = self.groups.get(_group_name(body))
        if g is None or body["logStreamName"] not in g.streams:
            raise _not_found("log group" if g is None else "log stream")
        s = g.streams[body["logStreamName"]]
        for e in body.get("logEvents", []):
            size = len(str(e.get("message", "")).encode("utf-8", "surrogatepass")) + EVENT_OVERHEAD
            if size > MAX_EVENT_BYTES:
                raise AwsError("InvalidParameterException",
                               f"Log event too large: {size} bytes exceeds limit of {MAX_EVENT_BYTES}", 400,
                               error_type=None)
        with self._lock:
            for e in body.get("logEvents", []):
                self._seq += 1
                s.events.append(LogEvent(int(e["timestamp"]), e["message"], self._ms(), self._seq))
        return {"nextSequenceToken": str(self._seq)}

    def DescribeLogGroups(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = body.get("logGroupNamePrefix", "")
        groups = sorted(n for n in self.groups if n.startswith(prefix))
        start = token_position(body.get("nextToken"), len(groups), _bad_token)
        limit = _page_limit(body, 50)
        out: dict[str, Any] = {"logGroups": [
            {"logGroupName": n, "creationTime": self.groups[n].created,
             "arn": f"arn:aws:logs:us-east-1:000000000000:log-group:{n}:*",
             "storedBytes": sum(len(e.message) for s in self.groups[n].streams.values() for e in s.events)}
            for n in groups[start:start + limit]]}
        if start + limit < len(groups):
            out["nextToken"] = next_token(start + limit)
        return out

    def DescribeLogStreams(self, body: dict[str, Any]) -> dict[str, Any]:
        g = self.groups.get(_group_name(body))
        if g is None:
            raise _not_found("log group")
        prefix = body.get("logStreamNamePrefix", "")
        streams = [s for s in g.streams.values() if s.name.startswith(prefix)]
        if body.get("orderBy") == "LastEventTime":
            streams.sort(key=lambda s: s.events[-1].timestamp if s.events else s.created,
                         reverse=bool(body.get("descending")))
        else:
            streams.sort(key=lambda s: s.name, reverse=bool(body.get("descending")))
        out = []
        for s in streams:
            d: dict[str, Any] = {"logStreamName": s.name, "creationTime": s.created, "storedBytes": 0}
            if s.events:
                d["firstEventTimestamp"] = s.events[0].timestamp
                d["lastEventTimestamp"] = s.events[-1].timestamp
                d["lastIngestionTime"] = s.events[-1].ingestion_time
            out.append(d)
        start = token_position(body.get("nextToken"), len(out), _bad_token)
        limit = _page_limit(body, 50)
        page: dict[str, Any] = {"logStreams": out[start:start + limit]}
        if start + limit < len(out):
            page["nextToken"] = next_token(start + limit)
        return page

    def GetLogEvents(self, body: dict[str, Any]) -> dict[str, Any]:
        g = self.groups.get(_group_name(body))
        if g is None:
            raise _not_found("log group")
        s = g.streams.get(body["logStreamName"])
        if s is None:
            raise _not_found("log stream")
        events = s.events
        start, end = body.get("startTime"), body.get("endTime")
        if start is not None or end is not None:
            events = [e for e in events if (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)]
        limit = _page_limit(body, MAX_EVENTS)
        token = body.get("nextToken")
        from_head = body.get("startFromHead", False)
        if token:
            m = re.fullmatch(r"([fb])/(\d{56})", str(token))
            if m is None or int(m.group(2)) > len(events):
                raise _bad_token()
            direction, pos = m.group(1), int(m.group(2))
            if direction == "f":
                chunk = events[pos:pos + limit]
                lo, hi = pos, pos + len(chunk)
            else:
                lo = max(0, pos - limit)
                chunk, hi = events[lo:pos], pos
        elif from_head:
            chunk = events[:limit]
            lo, hi = 0, len(chunk)
        else:
            lo = max(0, len(events) - limit)
            chunk, hi = events[lo:], len(events)
        return {
            "events": [{"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time} for e in chunk],
            "nextForwardToken": f"f/{hi:056d}",
            "nextBackwardToken": f"b/{lo:056d}",
        }

    def FilterLogEvents(self, body: dict[str, Any]) -> dict[str, Any]:
        g = self.groups.get(_group_name(body))
        if g is None:
            raise _not_found("log group")
        names = body.get("logStreamNames")
        prefix = body.get("logStreamNamePrefix")
        streams = [s for s in g.streams.values()
                   if (not names or s.name in names) and (not prefix or s.name.startswith(prefix))]
        start, end = body.get("startTime"), body.get("endTime")
        terms = _terms(body.get("filterPattern", ""))
        found = []
        for s in streams:
            for e in s.events:
                if start is not None and e.timestamp < start:
                    continue
                if end is not None and e.timestamp > end:
                    continue
                if all(t in e.message for t in terms):
                    found.append((e, s.name))
        found.sort(key=lambda p: (p[0].timestamp, p[0].seq))
        offset = token_position(body.get("nextToken"), len(found), _bad_token)
        rest = found[offset:]
        count = _fitting([len(e.message.encode("utf-8", "surrogatepass")) for e, _ in rest[:MAX_EVENTS]],
                         _page_limit(body, MAX_EVENTS))
        page = rest[:count]
        out: dict[str, Any] = {
            "events": [{"logStreamName": name, "timestamp": e.timestamp, "message": e.message,
                        "ingestionTime": e.ingestion_time, "eventId": f"{e.timestamp:020d}{e.seq:016d}"}
                       for e, name in page],
            "searchedLogStreams": [{"logStreamName": s.name, "searchedCompletely": True} for s in streams],
        }
        if offset + count < len(found):
            out["nextToken"] = next_token(offset + count)
        return out


def _terms(pattern: str) -> list[str]:
    pattern = pattern.strip()
    if not pattern:
        return []
    try:
        return [t for t in shlex.split(pattern) if t]
    except ValueError:
        return pattern.split()

