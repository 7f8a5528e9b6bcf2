"""EventBridge through a real botocore client: rules, targets, schedules on a virtual clock."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from minilambda.clock import VirtualClock
from minilambda.services.eventbridge import EventBridgeBackend as EventBridgeService
from minilambda.services.sqs import SqsBackend as SqsService

from .conftest import make_client

FN = "arn:aws:lambda:us-east-1:123456789012:function:cron-job"


def _ts(s: str) -> float:
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc).timestamp()


@pytest.fixture
def svc(clock, rng, notified):
    return EventBridgeService(clock, "us-east-1", "123456789012", rng, notify=notified)


@pytest.fixture
def events(svc):
    return make_client("events", svc)


def test_rules_crud(events):
    arn = events.put_rule(Name="every5", ScheduleExpression="rate(5 minutes)", Description="d")["RuleArn"]
    assert arn == "arn:aws:events:us-east-1:123456789012:rule/every5"
    got = events.describe_rule(Name="every5")
    assert {k: got[k] for k in ("Name", "Arn", "ScheduleExpression", "State", "Description", "EventBusName")} == {
        "Name": "every5", "Arn": arn, "ScheduleExpression": "rate(5 minutes)", "State": "ENABLED",
        "Description": "d", "EventBusName": "default"}
    events.put_rule(Name="pattern", EventPattern=json.dumps({"source": ["my.app"]}), State="DISABLED")
    assert [r["Name"] for r in events.list_rules()["Rules"]] == ["every5", "pattern"]
    assert [r["Name"] for r in events.list_rules(NamePrefix="pat")["Rules"]] == ["pattern"]
    events.disable_rule(Name="every5")
    assert events.describe_rule(Name="every5")["State"] == "DISABLED"
    events.enable_rule(Name="every5")
    assert events.describe_rule(Name="every5")["State"] == "ENABLED"
    events.delete_rule(Name="every5")
    with pytest.raises(events.exceptions.ResourceNotFoundException) as exc:
        events.describe_rule(Name="every5")
    assert exc.value.response["Error"]["Message"] == "Rule every5 does not exist on EventBus default."


def test_validation_errors(events):
    for bad in ("rate(5 minute)", "rate(1 minutes)", "cron(0 10 * * * *)", "every 5 minutes", "cron(0 10 * * ?)"):
        with pytest.raises(ClientError) as exc:
            events.put_rule(Name="r", ScheduleExpression=bad)
        assert exc.value.response["Error"] == {"Code": "ValidationException",
                                               "Message": "Parameter ScheduleExpression is not valid."}
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="r")
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(events.exceptions.InvalidEventPatternException):
        events.put_rule(Name="r", EventPattern="{not json")


def test_targets(events):
    events.put_rule(Name="r", ScheduleExpression="rate(1 hour)")
    out = events.put_targets(Rule="r", Targets=[{"Id": "fn", "Arn": FN}, {"Id": "c", "Arn": FN, "Input": '{"k": 1}'}])
    assert out["FailedEntryCount"] == 0 and out["FailedEntries"] == []
    assert events.list_targets_by_rule(Rule="r")["Targets"] == [{"Id": "fn", "Arn": FN},
                                                                {"Id": "c", "Arn": FN, "Input": '{"k": 1}'}]
    assert events.list_rule_names_by_target(TargetArn=FN)["RuleNames"] == ["r"]
    with pytest.raises(ClientError) as exc:
        events.delete_rule(Name="r")
    assert exc.value.response["Error"] == {"Code": "ValidationException",
                                           "Message": "Rule can't be deleted since it has targets."}
    events.remove_targets(Rule="r", Ids=["fn", "c"])
    events.delete_rule(Name="r")
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.put_targets(Rule="r", Targets=[{"Id": "fn", "Arn": FN}])
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.list_targets_by_rule(Rule="r")


def test_rate_schedule_fires_on_virtual_clock(events, notified):
    clock = VirtualClock(start=_ts("2024-03-01T12:00:00"))
    svc = EventBridgeService(clock, notify=notified)
    events = make_client("events", svc)
    events.put_rule(Name="every5", ScheduleExpression="rate(5 minutes)")
    events.put_targets(Rule="every5", Targets=[{"Id": "fn", "Arn": FN}])
    clock.advance(3600)
    assert len(notified.calls) == 12
    times = [e["time"] for _, e in notified.calls]
    assert times[0] == "2024-03-01T12:05:00Z" and times[-1] == "2024-03-01T13:00:00Z"
    ev = notified.calls[0][1]
    assert list(ev) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert ev["detail-type"] == "Scheduled Event" and ev["source"] == "aws.events" and ev["detail"] == {}
    assert ev["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/every5"]
    assert len({e["id"] for _, e in notified.calls}) == 12


def test_rate_anchor_truncated_to_the_minute(notified):
    clock = VirtualClock(start=_ts("2024-03-01T12:00:42"))
    svc = EventBridgeService(clock, notify=notified)
    svc.PutRule({"Name": "r", "ScheduleExpression": "rate(1 minute)"})
    svc.PutTargets({"Rule": "r", "Targets": [{"Id": "t", "Arn": FN}]})
    clock.advance(60)
    assert [e["time"] for _, e in notified.calls] == ["2024-03-01T12:01:00Z"]


def test_cron_schedule_and_input(notified):
    clock = VirtualClock(start=_ts("2024-03-01T00:00:00"))  # a Friday
    svc = EventBridgeService(clock, notify=notified)
    events = make_client("events", svc)
    events.put_rule(Name="weekday6pm", ScheduleExpression="cron(0 18 ? * MON-FRI *)")
    events.put_targets(Rule="weekday6pm", Targets=[{"Id": "fn", "Arn": FN, "Input": '{"job": "report"}'}])
    clock.advance(7 * 86400)
    assert [e for _, e in notified.calls] == [{"job": "report"}] * 5
    events.put_targets(Rule="weekday6pm", Targets=[{"Id": "fn", "Arn": FN}])
    clock.advance(7 * 86400)
    times = [e["time"] for _, e in notified.calls[5:]]
    assert times == ["2024-03-08T18:00:00Z", "2024-03-11T18:00:00Z", "2024-03-12T18:00:00Z",
                     "2024-03-13T18:00:00Z", "2024-03-14T18:00:00Z"]


def test_disabled_rule_does_not_fire(events, svc, clock, notified):
    events.put_rule(Name="r", ScheduleExpression="rate(1 minute)", State="DISABLED")
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": FN}])
    clock.advance(600)
    assert notified.calls == []
    events.enable_rule(Name="r")
    clock.advance(120)
    assert len(notified.calls) == 2
    events.disable_rule(Name="r")
    clock.advance(600)
    assert len(notified.calls) == 2
    events.remove_targets(Rule="r", Ids=["t"])
    events.delete_rule(Name="r")
    assert clock.next_due() is None


def test_put_events_with_patterns(events, notified):
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["my.shop"], "detail": {"total": [{"numeric": [">", 100]}]}}))
    events.put_targets(Rule="orders", Targets=[{"Id": "fn", "Arn": FN}])
    out = events.put_events(Entries=[
        {"Source": "my.shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 150})},
        {"Source": "my.shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 5})},
        {"Source": "other", "DetailType": "Order Placed", "Detail": json.dumps({"total": 500})},
        {"Source": "my.shop", "DetailType": "Order Placed"},
    ])
    assert out["FailedEntryCount"] == 1
    assert "EventId" in out["Entries"][0] and out["Entries"][3]["ErrorCode"] == "InvalidArgument"
    [(target, ev)] = notified.calls
    assert target == FN and ev["detail"] == {"total": 150} and ev["detail-type"] == "Order Placed"
    assert ev["id"] == out["Entries"][0]["EventId"]


def test_sqs_target(clock, rng):
    sqs_svc = SqsService(clock, rng=rng)
    svc = EventBridgeService(clock, rng=rng, sqs=sqs_svc)
    sqs_svc.create("q")
    svc.PutRule({"Name": "r", "ScheduleExpression": "rate(1 minute)"})
    svc.PutTargets({"Rule": "r", "Targets": [{"Id": "q", "Arn": sqs_svc.queue_arn("q")}]})
    clock.advance(60)
    [m] = sqs_svc.receive_batch(sqs_svc.queue_arn("q"), 10)
    assert json.loads(m.body)["detail-type"] == "Scheduled Event"


def test_put_event_python_api(svc, notified):
    svc.PutRule({"Name": "r", "EventPattern": json.dumps({"source": ["lambda"]})})
    svc.PutTargets({"Rule": "r", "Targets": [{"Id": "t", "Arn": FN}]})
    eid = svc.put_event(None, "lambda", "Lambda Function Invocation Result - Success", {"ok": True})
    assert notified.calls[0][1]["id"] == eid
