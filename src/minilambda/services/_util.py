"""What the services share: seeded ids, the notifier and drop types, and ``AccountService``."""

from __future__ import annotations

import base64
import random
import threading
from typing import Any, Callable

from ..errors import AwsError


Notify = Callable[[str, dict], Any]
"""``notify(target_arn, event)``: deliver *event* to the target (the Lambda side wires it to an
async invoke)."""
Drop = Callable[[str, str, str], Any]
"""``on_drop(service, target_arn, reason)``: a delivery that could not be made (recorded by the Cloud)."""


class AccountService:
    """What every service of one account shares: its clock, region and account, a seeded
    generator for ids, a lock, and how it reaches Lambda (*notify*) and the other services."""

    service_name = "service"  # botocore's name, used in drop records

    def _wire(self, clock: Any, region: str, account_id: str, rng: random.Random | None, *,
              notify: Notify | None = None, sqs: Any = None, sns: Any = None, on_drop: Drop | None = None) -> None:
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.rng = rng or random.Random()
        self.notify = notify
        self.sqs = sqs
        self.sns = sns
        self._lock = threading.RLock()
        self.drops: list[tuple[float, str, str]] = []  # (time, target ARN, reason): nothing vanishes
        self.on_drop = on_drop

    def _drop(self, target: str, reason: str) -> None:
        """Record a delivery that could not be made, as AWS's metrics would count it."""
        self.drops.append((self.clock.now(), target, reason))
        if self.on_drop is not None:
            self.on_drop(self.service_name, target, reason)

    def _to_queue(self, arn: str, body: str, attributes: dict[str, Any] | None = None) -> None:
        if self.sqs is None:
            self._drop(arn, "no SQS in this account")
            return
        try:
            self.sqs.send(arn, body, attributes)
        except AwsError as err:
            self._drop(arn, f"SQS refused the message: {err.message}")

    def _to_topic(self, arn: str, body: str, subject: str | None = None) -> None:
        if self.sns is None:
            self._drop(arn, "no SNS in this account")
            return
        try:
            self.sns.publish_raw(arn, body, subject=subject)
        except AwsError as err:
            self._drop(arn, f"SNS refused the message: {err.message}")

    def _to_notify(self, arn: str, event: dict[str, Any]) -> None:
        if self.notify is None:
            self._drop(arn, "no Lambda in this account")
            return
        self.notify(arn, event)


def next_token(position: int) -> str:
    """An opaque pagination token for *position* (AWS's tokens are opaque too)."""
    return base64.urlsafe_b64encode(f"minilambda:{position}".encode()).decode()


def token_position(token: Any, count: int, refuse: Callable[[], AwsError]) -> int:
    """Where a pagination token resumes a listing of *count* items; ``refuse()`` is raised for a
    token this Cloud did not hand out (AWS refuses those rather than starting over)."""
    if token is None or token == "":
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(str(token).encode()).decode().partition(":")
        position = int(number)
    except (ValueError, UnicodeError):
        raise refuse() from None
    if kind != "minilambda" or not 0 <= position <= count:
        raise refuse()
    return position
