"""CloudWatch Logs limits as AWS applies them: 256 KB events, 1 MB / 10,000-event pages, opaque tokens."""

from __future__ import annotations

import pytest

from minilambda import Cloud
from minilambda.services.cloudwatch_logs import split_message


@pytest.fixture
def cloud():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=3) as c:
        yield c


def test_a_lambda_line_over_256_kb_becomes_events_of_at_most_262118_bytes(cloud):
    line = "é" * 200_000  # 400,000 bytes of UTF-8, two bytes a character
    cloud.logs.write("/aws/lambda/f", "s", [line])
    events = cloud.logs.groups["/aws/lambda/f"].streams["s"].events
    sizes = [len(e.message.encode()) for e in events]
    assert len(events) == 2 and max(sizes) <= 262_118
    assert "".join(e.message for e in events) == line + "\n"
    assert split_message("x" * 262_118) == ["x" * 262_118]


def test_put_log_events_refuses_an_event_over_256_kb(cloud):
    logs = cloud.client("logs")
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    logs.put_log_events(logGroupName="g", logStreamName="s",
                        logEvents=[{"timestamp": 1, "message": "x" * (262_144 - 26)}])
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.put_log_events(logGroupName="g", logStreamName="s",
                            logEvents=[{"timestamp": 2, "message": "x" * (262_144 - 25)}])
    assert e.value.response["Error"]["Message"] == "Log event too large: 262145 bytes exceeds limit of 262144"


def test_filter_log_events_pages_by_one_megabyte_and_tokens_are_opaque(cloud):
    logs = cloud.client("logs")
    cloud.logs.write("/aws/lambda/f", "s", ["y" * 200_000 for _ in range(12)])
    first = logs.filter_log_events(logGroupName="/aws/lambda/f")
    assert len(first["events"]) == 5 and first["nextToken"]  # 5 × 200,027 B fit in 1 MB, 6 do not
    second = logs.filter_log_events(logGroupName="/aws/lambda/f", nextToken=first["nextToken"])
    pages = list(logs.get_paginator("filter_log_events").paginate(logGroupName="/aws/lambda/f"))
    assert [len(p["events"]) for p in pages] == [5, 5, 2]
    assert len(second["events"]) == 5
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.filter_log_events(logGroupName="/aws/lambda/f", nextToken="7")
    assert e.value.response["Error"]["Message"] == "The specified nextToken is invalid."
    limited = logs.filter_log_events(logGroupName="/aws/lambda/f", limit=2)
    assert len(limited["events"]) == 2 and limited["nextToken"]


def test_describe_log_streams_pages_at_most_50(cloud):
    for i in range(53):
        cloud.logs.write("/aws/lambda/f", f"s{i:02d}", ["x"])
    logs = cloud.client("logs")
    first = logs.describe_log_streams(logGroupName="/aws/lambda/f")
    assert len(first["logStreams"]) == 50
    rest = logs.describe_log_streams(logGroupName="/aws/lambda/f", nextToken=first["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["s50", "s51", "s52"] and "nextToken" not in rest


def test_filter_log_events_without_a_group_is_aws_error_not_keyerror(cloud):
    with pytest.raises(cloud.client("logs").exceptions.InvalidParameterException) as e:
        cloud.client("logs").filter_log_events()
    assert e.value.response["Error"]["Message"] == "Should provide either logGroupName or logGroupIdentifier."
