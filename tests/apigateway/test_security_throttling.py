"""Throttling: token buckets at every level, usage-plan quotas on UTC periods, GetUsage, the fast path."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minilambda.apigateway.throttling import (
    ACCOUNT_DEFAULT, QuotaSettings, ThrottleRequest, ThrottleSettings, Throttler, TokenBucket,
    UsagePlanKey, admitted_mask, count_admitted, period_start, resolve_method_settings,
)

T0 = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc).timestamp()  # a Monday
HUGE = ThrottleSettings(1e12, 10**12)


def _reference_admitted(arrivals_ms: list[int], rate: Fraction, burst: int) -> list[bool]:
    """A token bucket in exact rational arithmetic (integer-ms arrivals): no rounding at all."""
    tokens, last, out = Fraction(burst), None, []
    for t in arrivals_ms:
        if last is not None:
            tokens = min(Fraction(burst), tokens + rate * Fraction(t - last, 1000))
        last = t
        out.append(tokens >= 1)
        if tokens >= 1:
            tokens -= 1
    return out


def _key(throttle=None, quota=None, method_throttle=None, created=None) -> UsagePlanKey:
    return UsagePlanKey("plan1", "key1", throttle, method_throttle, quota, created)


def _request(usage=None, stage_throttle=None, method_key="/items/GET") -> ThrottleRequest:
    return ThrottleRequest("api1", "prod", method_key, stage_throttle, usage)


def test_hand_computed_bucket_rate_1_burst_2():
    arrivals = [0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 2.5]
    mask = admitted_mask([T0 + a for a in arrivals], ThrottleSettings(1.0, 2))
    assert mask.tolist() == [True, True, False, False, True, False, True]


def test_hand_computed_100_rps_200_burst_100k_requests():
    """1,000 rps for 100 s: the 200-token burst, then one token per 10 ms: 200 + 9,999 admitted."""
    arrivals = T0 + np.arange(100_000) / 1000.0
    assert count_admitted(arrivals, ThrottleSettings(100.0, 200)) == 200 + 9_999


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(gaps=st.lists(st.integers(0, 400), min_size=1, max_size=300),
       rate_centi=st.integers(1, 50_000), burst=st.integers(0, 30))
def test_fast_path_equals_exact_reference(gaps, rate_centi, burst):
    arrivals_ms = np.cumsum(gaps).tolist()
    rate = Fraction(rate_centi, 100)
    expected = _reference_admitted(arrivals_ms, rate, burst)
    settings_ = ThrottleSettings(rate_centi / 100, burst)
    seconds = [T0 + t / 1000 for t in arrivals_ms]
    assert admitted_mask(seconds, settings_).tolist() == expected
    throttler = Throttler(account=HUGE)
    usage = _key(throttle=settings_)
    decided = [throttler.decide(_request(usage), t).allowed for t in seconds]
    assert decided == expected


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(gaps=st.lists(st.integers(0, 3_600_000 * 6), min_size=1, max_size=120),
       limit=st.integers(0, 6), offset=st.integers(0, 3),
       period=st.sampled_from(["DAY", "WEEK", "MONTH"]))
def test_fast_path_quota_equals_throttler(gaps, limit, offset, period):
    seconds = (T0 + np.cumsum(gaps) / 1000).tolist()
    quota = QuotaSettings(limit, period, offset)
    throttle = ThrottleSettings(2.0, 3)
    throttler = Throttler(account=HUGE)
    usage = _key(throttle=throttle, quota=quota)
    decided = [throttler.decide(_request(usage), t).allowed for t in seconds]
    assert admitted_mask(seconds, throttle, quota).tolist() == decided


def test_unsorted_arrivals_refused():
    with pytest.raises(ValueError, match="sorted"):
        admitted_mask([2.0, 1.0], ThrottleSettings(1, 1))


def test_throttled_decision_is_awss_429():
    throttler = Throttler(account=HUGE)
    usage = _key(throttle=ThrottleSettings(1.0, 1))
    assert throttler.decide(_request(usage), T0).allowed
    refused = throttler.decide(_request(usage), T0)
    assert (refused.allowed, refused.status_code, refused.body) == (
        False, 429, '{"message":"Too Many Requests"}')
    assert refused.error_type == "TooManyRequestsException"
    assert refused.gateway_response == "THROTTLED"
    assert "Key throttle limit exceeded for Usage Plan ID plan1" in refused.log_line


def test_quota_decision_is_limit_exceeded_and_offset_only_in_first_period():
    throttler = Throttler(account=HUGE)
    usage = _key(quota=QuotaSettings(3, "DAY", offset=1))
    first_day = [throttler.decide(_request(usage), T0 + i) for i in range(3)]
    assert [d.allowed for d in first_day] == [True, True, False]
    refused = first_day[-1]
    assert (refused.status_code, refused.body, refused.error_type, refused.gateway_response) == (
        429, '{"message":"Limit Exceeded"}', "LimitExceededException", "QUOTA_EXCEEDED")
    assert "Quota Limit: 3 Period: DAY" in refused.log_line
    next_day = T0 + 86_400
    assert [throttler.decide(_request(usage), next_day + i).allowed for i in range(4)] == [
        True, True, True, False]


def test_quota_resets_at_utc_midnight_not_24_hours_later():
    throttler = Throttler(account=HUGE)
    usage = _key(quota=QuotaSettings(1, "DAY"))
    late = dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=dt.timezone.utc).timestamp()
    assert throttler.decide(_request(usage), late).allowed
    assert not throttler.decide(_request(usage), late + 0.5).allowed
    assert throttler.decide(_request(usage), late + 1.0).allowed


@pytest.mark.parametrize("when, period, start", [
    ("2026-11-30T12:00:00", "DAY", "2026-11-30"),
    ("2026-11-30T12:00:00", "WEEK", "2026-11-29"),  # Monday → the Sunday before
    ("2026-11-29T00:00:00", "WEEK", "2026-11-29"),  # Sunday itself
    ("2026-12-05T23:59:59", "WEEK", "2026-11-29"),  # Saturday
    ("2026-11-30T12:00:00", "MONTH", "2026-11-01"),
    ("2026-12-01T00:00:00", "MONTH", "2026-12-01"),
])
def test_period_start_utc(when, period, start):
    now = dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone.utc).timestamp()
    assert period_start(now, period).isoformat() == start


def test_bad_period_refused():
    with pytest.raises(ValueError, match="DAY, WEEK or MONTH"):
        period_start(T0, "YEAR")


def test_offset_applies_to_period_of_plan_creation_only():
    throttler = Throttler(account=HUGE)
    usage = _key(quota=QuotaSettings(2, "DAY", offset=2), created=T0 - 86_400)
    assert throttler.decide(_request(usage), T0).allowed  # the first period was yesterday


def test_quota_checked_before_throttle_and_throttled_requests_use_no_quota():
    throttler = Throttler(account=HUGE)
    usage = _key(throttle=ThrottleSettings(1.0, 1), quota=QuotaSettings(2, "DAY"))
    assert throttler.decide(_request(usage), T0).allowed
    assert throttler.decide(_request(usage), T0).gateway_response == "THROTTLED"
    assert throttler.decide(_request(usage), T0 + 1).allowed  # quota still had one left
    assert throttler.decide(_request(usage), T0 + 1).gateway_response == "QUOTA_EXCEEDED"


def test_method_throttle_of_usage_plan_overrides_key_throttle():
    throttler = Throttler(account=HUGE)
    usage = _key(throttle=ThrottleSettings(1.0, 1), method_throttle=ThrottleSettings(1.0, 3))
    assert [throttler.decide(_request(usage), T0).allowed for _ in range(4)] == [
        True, True, True, False]


def test_stage_throttle_has_one_bucket_per_method():
    throttler = Throttler(account=HUGE)
    limit = ThrottleSettings(1.0, 1)
    assert throttler.decide(_request(stage_throttle=limit, method_key="/a/GET"), T0).allowed
    assert not throttler.decide(_request(stage_throttle=limit, method_key="/a/GET"), T0).allowed
    assert throttler.decide(_request(stage_throttle=limit, method_key="/b/GET"), T0).allowed


def test_refusal_by_a_later_level_takes_no_token_from_earlier_ones():
    throttler = Throttler(account=HUGE)
    usage = _key(throttle=ThrottleSettings(1.0, 2))
    stage = ThrottleSettings(1.0, 1)
    assert throttler.decide(_request(usage, stage), T0).allowed
    assert not throttler.decide(_request(usage, stage), T0).allowed  # stage bucket empty
    assert throttler.decide(_request(usage, None, "/other/GET"), T0).allowed  # key kept 1 token


def test_account_default_is_10000_rps_burst_5000():
    assert ACCOUNT_DEFAULT == ThrottleSettings(10_000.0, 5_000)
    throttler = Throttler()
    decided = [throttler.decide(_request(), T0).allowed for _ in range(5_001)]
    assert decided.count(True) == 5_000 and not decided[-1]
    assert "Account throttle limit exceeded" in throttler.decide(_request(), T0).log_line
    assert throttler.decide(_request(), T0 + 0.001).allowed  # 10 tokens per ms


def test_reconfigured_limits_keep_tokens_capped_at_new_burst():
    bucket = TokenBucket(ThrottleSettings(1.0, 10), T0)
    bucket.reconfigure(ThrottleSettings(1.0, 2), T0)
    assert [bucket.take(T0) for _ in range(3)] == [True, True, False]


def test_get_usage_shape_and_remaining():
    throttler = Throttler(account=HUGE)
    quota = QuotaSettings(10, "MONTH")
    usage = _key(quota=quota)
    throttler.decide(_request(usage), T0 - 86_400 * 3)  # 27 November
    for i in range(3):
        throttler.decide(_request(usage), T0 + i)
    throttler.decide(_request(usage), T0 + 86_400)  # 1 December: a new month
    body = throttler.get_usage("plan1", "2026-11-26", "2026-12-02", quotas={"key1": quota})
    assert body == {"usagePlanId": "plan1", "startDate": "2026-11-26", "endDate": "2026-12-02",
                    "items": {"key1": [[0, 10], [1, 9], [0, 9], [0, 9], [3, 6], [1, 9], [0, 9]]}}
    assert throttler.get_usage("plan1", "2026-11-30", "2026-11-30", key_id="other")["items"] == {}
    with pytest.raises(ValueError, match="end date"):
        throttler.get_usage("plan1", "2026-12-01", "2026-11-30")


def test_update_remaining_extends_the_quota():
    throttler = Throttler(account=HUGE)
    usage = _key(quota=QuotaSettings(1, "DAY"))
    assert throttler.decide(_request(usage), T0).allowed
    assert not throttler.decide(_request(usage), T0).allowed
    throttler.update_remaining(usage, 2, T0)
    assert [throttler.decide(_request(usage), T0 + 1).allowed for _ in range(3)] == [
        True, True, False]
    with pytest.raises(ValueError, match="no quota"):
        throttler.update_remaining(_key(), 5, T0)


def test_resolve_method_settings_specific_wins_over_wildcard():
    settings_ = {"*/*": {"throttlingRateLimit": 5.0, "throttlingBurstLimit": 2},
                 "~1pets~1{id}/GET": {"throttlingRateLimit": 1.0, "throttlingBurstLimit": 1},
                 "/~1/POST": {"metricsEnabled": True}}
    assert resolve_method_settings(settings_, "/pets/{id}", "get") == ThrottleSettings(1.0, 1)
    assert resolve_method_settings(settings_, "/pets", "GET") == ThrottleSettings(5.0, 2)
    assert resolve_method_settings(settings_, "/", "POST") == ThrottleSettings(5.0, 2)
    assert resolve_method_settings(None, "/", "GET") is None


def test_settings_from_aws_shapes():
    assert ThrottleSettings.from_aws({"rateLimit": 10, "burstLimit": 5}) == ThrottleSettings(10, 5)
    assert ThrottleSettings.from_aws({"ThrottlingRateLimit": 3.5, "ThrottlingBurstLimit": 7}) == \
        ThrottleSettings(3.5, 7)
    assert ThrottleSettings.from_aws({}) is None
    assert ThrottleSettings.from_aws({"DetailedMetricsEnabled": True}) is None
    assert ThrottleSettings.from_aws({"ThrottlingBurstLimit": 5}) == ThrottleSettings(10_000.0, 5)
    assert QuotaSettings.from_aws({"limit": 500, "period": "WEEK"}) == QuotaSettings(500, "WEEK", 0)
    assert QuotaSettings.from_aws(None) is None


def test_get_usage_remembers_each_keys_quota():
    throttler = Throttler(account=HUGE)
    usage = _key(quota=QuotaSettings(10, "MONTH"))
    throttler.decide(_request(usage), T0)
    body = throttler.get_usage("plan1", "2026-11-29", "2026-12-01")
    assert body["items"] == {"key1": [[0, 10], [1, 9], [0, 10]]}
