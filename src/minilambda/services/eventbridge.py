"""Amazon EventBridge rules on the default event bus, AWS JSON 1.1 (``AWSEvents.<Operation>``).

Scheduled rules run on the clock: an enabled rule with a ``ScheduleExpression`` keeps one
``clock.call_at`` timer for its next fire time; when it falls due every target gets AWS's
``Scheduled Event`` (``events.scheduled_event`` shape, ``time`` = the scheduled minute), or the
target's constant ``Input``, and the rule reschedules itself. ``rate(...)`` schedules count from
the rule's creation (or last schedule change), truncated to the minute; ``cron(...)`` fires on
its exact UTC minutes (``minilambda.schedule``).

``PutEvents`` matches event-pattern rules (``services._pattern``) and delivers at once.
Deliveries: Lambda (and any other ARN) through ``notify(target_arn, event)``; SQS and SNS
targets through those services when wired (``sqs=``, ``sns=``).
Not modelled: custom event buses, ``InputPath``/``InputTransformer``, retry policies and DLQs,
archives/replays, the 1-minute jitter AWS allows after the scheduled minute.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .. import schedule as sched
from ..errors import AwsError
from ..payloads import eventbridge_event, scheduled_event
from . import _pattern
from ._util import AccountService, Notify, next_token, token_position

MAX_TARGETS = 5


def _validation(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400, error_type=None)


def _not_found(name: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus default.",
                    400, error_type=None)


@dataclass(eq=False)
class Rule:
    name: str
    arn: str
    state: str
    schedule_expression: str | None = None
    event_pattern: str | None = None
    description: str | None = None
    role_arn: str | None = None
    schedule: Any = None
    anchor: datetime | None = None
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    timer: Any = None
    generation: int = 0
    fired: int = 0


class EventBridgeBackend(AccountService):
    """EventBridge rules and targets on the default bus: state and operations, no HTTP."""

    service_name = "events"

    def __init__(self, clock: Any, region: str = "us-east-1", account_id: str = "123456789012",
                 rng: random.Random | None = None, *, notify: Notify | None = None,
                 sqs: Any = None, sns: Any = None, on_drop: Any = None) -> None:
        self._wire(clock, region, account_id, rng, notify=notify, sqs=sqs, sns=sns, on_drop=on_drop)
        self._rules: dict[str, Rule] = {}

    # ------------------------------------------------------------------ helpers

    def _rule(self, name: str | None, bus: str | None = None) -> Rule:
        if bus not in (None, "default", f"arn:aws:events:{self.region}:{self.account_id}:event-bus/default"):
            raise AwsError("ResourceNotFoundException", f"Event bus {bus} does not exist.", 400, error_type=None)
        r = self._rules.get(name or "")
        if r is None:
            raise _not_found(name or "")
        return r

    def _now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), timezone.utc)

    def _arm(self, rule: Rule, after: datetime | None = None) -> None:
        """(Re)start *rule*'s timer for its next fire time (lock held)."""
        if rule.timer is not None:
            rule.timer.cancel()
            rule.timer = None
        rule.generation += 1
        if rule.schedule is None or rule.state != "ENABLED":
            return
        after = after or self._now_dt()
        nxt = rule.schedule.next_fire(after, rule.anchor)
        if nxt is None:
            return
        rule.timer = self.clock.call_at(nxt.timestamp(), self._fire, rule.name, rule.generation,
                                        nxt.timestamp())

    def _fire(self, name: str, generation: int, when: float) -> None:
        with self._lock:
            rule = self._rules.get(name)
            if rule is None or rule.generation != generation or rule.state != "ENABLED":
                return
            rule.fired += 1
            event = scheduled_event(rule.arn, time=when, rng=self.rng)
            deliveries = self._target_deliveries(rule, event)
            self._arm(rule, datetime.fromtimestamp(when, timezone.utc))
        self._deliver(deliveries)

    @staticmethod
    def _target_deliveries(rule: Rule, event: dict[str, Any]) -> list[tuple[str, Any]]:
        out = []
        for t in rule.targets.values():
            payload = json.loads(t["Input"]) if t.get("Input") is not None else event
            out.append((t["Arn"], payload))
        return out

    def _deliver(self, deliveries: list[tuple[str, Any]]) -> None:
        for arn, payload in deliveries:
            if arn.startswith("arn:aws:sqs:"):
                self._to_queue(arn, json.dumps(payload))
            elif arn.startswith("arn:aws:sns:"):
                self._to_topic(arn, json.dumps(payload))
            else:
                self._to_notify(arn, payload)

    @staticmethod
    def _describe(r: Rule) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": r.name, "Arn": r.arn}
        if r.event_pattern is not None:
            out["EventPattern"] = r.event_pattern
        if r.schedule_expression is not None:
            out["ScheduleExpression"] = r.schedule_expression
        out["State"] = r.state
        if r.description is not None:
            out["Description"] = r.description
        if r.role_arn is not None:
            out["RoleArn"] = r.role_arn
        out["EventBusName"] = "default"
        return out

    # ------------------------------------------------------------------ Python API

    def fire_times(self, name: str) -> int:
        """How many times the scheduled rule *name* has fired."""
        with self._lock:
            return self._rule(name).fired

    def next_fire_time(self, name: str) -> float | None:
        """When the rule's timer falls due (epoch seconds), or None."""
        with self._lock:
            t = self._rule(name).timer
            return None if t is None else t.when

    def put_event(self, bus: str | None, source: str, detail_type: str, detail: Any,
                  resources: list[str] | None = None) -> str:
        """Put one event on the default bus from inside the simulator (e.g. Lambda destinations);
        *detail* is a dict or a JSON object string. Returns the event id."""
        out = self.PutEvents({"Entries": [{
            "Source": source, "DetailType": detail_type, "EventBusName": bus,
            "Detail": detail if isinstance(detail, str) else json.dumps(detail),
            "Resources": list(resources or [])}]})
        entry = out["Entries"][0]
        if "EventId" not in entry:
            raise _validation(entry.get("ErrorMessage", "invalid event"))
        return entry["EventId"]

    # ------------------------------------------------------------------ operations

    def PutRule(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p.get("Name", "")
        if not re.fullmatch(r"[\.\-_A-Za-z0-9]{1,64}", name):
            raise _validation(f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
                              "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
        expr = p.get("ScheduleExpression")
        pattern = p.get("EventPattern")
        if not expr and not pattern:
            raise _validation("Parameter(s) ScheduleExpression or EventPattern must be specified.")
        schedule = None
        if expr:
            try:
                schedule = sched.parse(expr)
            except ValueError:
                raise _validation("Parameter ScheduleExpression is not valid.") from None
        if pattern:
            try:
                _pattern.validate(pattern)
            except ValueError as exc:
                raise AwsError("InvalidEventPatternException", str(exc), 400, error_type=None) from None
        state = p.get("State", "ENABLED")
        if state not in ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"):
            raise _validation(f"1 validation error detected: Value '{state}' at 'state' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [ENABLED, DISABLED, "
                              "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]")
        arn = f"arn:aws:events:{self.region}:{self.account_id}:rule/{name}"
        with self._lock:
            rule = self._rules.get(name)
            now = self._now_dt()
            anchor = now.replace(second=0, microsecond=0)
            if rule is None:
                rule = Rule(name, arn, state, anchor=anchor)
                self._rules[name] = rule
            elif expr != rule.schedule_expression:
                rule.anchor = anchor
            rule.state = state
            rule.schedule_expression = expr or None
            rule.schedule = schedule
            rule.event_pattern = pattern or None
            rule.description = p.get("Description", rule.description)
            rule.role_arn = p.get("RoleArn", rule.role_arn)
            self._arm(rule)
        return {"RuleArn": arn}

    def DescribeRule(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            r = self._rule(p.get("Name"), p.get("EventBusName"))
            out = self._describe(r)
        out["CreatedBy"] = self.account_id
        return out

    def ListRules(self, p: dict[str, Any]) -> dict[str, Any]:
        prefix = p.get("NamePrefix", "")
        with self._lock:
            rules = [self._describe(r) for n, r in sorted(self._rules.items()) if n.startswith(prefix)]
        start = token_position(p.get("NextToken"), len(rules), lambda: AwsError(
            "ValidationException", "Invalid NextToken", 400, error_type=None))
        limit = int(p.get("Limit") or 100)
        out: dict[str, Any] = {"Rules": rules[start:start + limit]}
        if start + limit < len(rules):
            out["NextToken"] = next_token(start + limit)
        return out

    def EnableRule(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            r = self._rule(p.get("Name"), p.get("EventBusName"))
            if r.state != "ENABLED":
                r.state = "ENABLED"
                self._arm(r)
        return {}

    def DisableRule(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            r = self._rule(p.get("Name"), p.get("EventBusName"))
            r.state = "DISABLED"
            self._arm(r)
        return {}

    def DeleteRule(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            r = self._rules.get(p.get("Name", ""))
            if r is None:
                return {}
            if r.targets and not p.get("Force"):
                raise _validation("Rule can't be deleted since it has targets.")
            if r.timer is not None:
                r.timer.cancel()
            del self._rules[r.name]
        return {}

    def PutTargets(self, p: dict[str, Any]) -> dict[str, Any]:
        targets = p.get("Targets") or []
        failed = []
        with self._lock:
            r = self._rule(p.get("Rule"), p.get("EventBusName"))
            new_ids = {t["Id"] for t in targets} - set(r.targets)
            if len(r.targets) + len(new_ids) > MAX_TARGETS:
                raise AwsError("LimitExceededException", "The requested resource exceeds the maximum "
                               "number allowed.", 400, error_type=None)
            for t in targets:
                tid, arn = t.get("Id", ""), t.get("Arn", "")
                if not re.fullmatch(r"[\.\-_A-Za-z0-9]{1,64}", tid):
                    raise _validation(f"1 validation error detected: Value '{tid}' at 'targets.1.member.id' "
                                      "failed to satisfy constraint: Member must satisfy regular expression "
                                      "pattern: [\\.\\-_A-Za-z0-9]+")
                if not arn.startswith("arn:"):
                    raise _validation(f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format.")
                if t.get("Input") is not None:
                    try:
                        json.loads(t["Input"])
                    except ValueError:
                        raise _validation("Input is not valid JSON text.") from None
                r.targets[tid] = {k: v for k, v in t.items()}
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def RemoveTargets(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            r = self._rule(p.get("Rule"), p.get("EventBusName"))
            for tid in p.get("Ids") or []:
                r.targets.pop(tid, None)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def ListTargetsByRule(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            r = self._rule(p.get("Rule"), p.get("EventBusName"))
            return {"Targets": [dict(t) for t in r.targets.values()]}

    def ListRuleNamesByTarget(self, p: dict[str, Any]) -> dict[str, Any]:
        arn = p.get("TargetArn")
        with self._lock:
            names = [n for n, r in sorted(self._rules.items())
                     if any(t["Arn"] == arn for t in r.targets.values())]
        return {"RuleNames": names}

    def PutEvents(self, p: dict[str, Any]) -> dict[str, Any]:
        entries = p.get("Entries") or []
        results: list[dict[str, Any]] = []
        deliveries: list[tuple[str, Any]] = []
        failed = 0
        with self._lock:
            for e in entries:
                missing = next((k for k in ("Source", "DetailType", "Detail") if not e.get(k)), None)
                if missing:
                    failed += 1
                    results.append({"ErrorCode": "InvalidArgument",
                                    "ErrorMessage": f"Parameter {missing} is not valid. Reason: {missing} is a required argument."})
                    continue
                try:
                    detail = json.loads(e["Detail"])
                    if not isinstance(detail, dict):
                        raise ValueError
                except ValueError:
                    failed += 1
                    results.append({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
                    continue
                when = e.get("Time")
                if isinstance(when, datetime):
                    when = when.timestamp()
                event = eventbridge_event(e["Source"], e["DetailType"], detail, resources=e.get("Resources") or [],
                                          account_id=self.account_id, region=self.region,
                                          time=when if when is not None else self.clock.now(), rng=self.rng)
                results.append({"EventId": event["id"]})
                for r in self._rules.values():
                    if r.state == "ENABLED" and r.event_pattern and _pattern.matches(json.loads(r.event_pattern), event):
                        deliveries += self._target_deliveries(r, event)
        self._deliver(deliveries)
        return {"FailedEntryCount": failed, "Entries": results}


