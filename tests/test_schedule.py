"""AWS schedule expressions: AWS's documented examples, the special characters, the errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from minilambda.schedule import CronSchedule, RateSchedule, parse, validate


def dt(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc)


def fires(expr: str, after: str, n: int) -> list[str]:
    s = parse(expr)
    out, t = [], dt(after)
    for _ in range(n):
        t = s.next_fire(t)
        out.append(t.strftime("%Y-%m-%d %a %H:%M"))
    return out


# ------------------------------------------------------------------ rate


@pytest.mark.parametrize("expr, seconds", [
    ("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(12 hours)", 43200),
    ("rate(1 day)", 86400), ("rate(7 days)", 604800),
])
def test_rate_units(expr, seconds):
    s = parse(expr)
    assert isinstance(s, RateSchedule) and s.interval == seconds


@pytest.mark.parametrize("expr", [
    "rate(1 minutes)", "rate(5 minute)", "rate(2 hour)", "rate(1 days)", "rate(0 minutes)", "rate(-1 minutes)",
    "rate(5 weeks)", "rate(1.5 hours)", "rate(minutes)", "rate()", "rate 5 minutes",
])
def test_rate_errors(expr):
    with pytest.raises(ValueError, match="rate"):
        parse(expr)
    assert not validate(expr)


def test_rate_counts_from_anchor():
    s = parse("rate(5 minutes)")
    anchor = dt("2024-01-01T10:00:00")
    assert s.next_fire(dt("2024-01-01T10:00:00"), anchor) == dt("2024-01-01T10:05:00")
    assert s.next_fire(dt("2024-01-01T10:07:30"), anchor) == dt("2024-01-01T10:10:00")
    assert s.next_fire(dt("2024-01-01T10:10:00"), anchor) == dt("2024-01-01T10:15:00")
    assert s.next_fire(dt("2024-01-01T10:07:30")) == dt("2024-01-01T10:12:30")  # no anchor


# ------------------------------------------------------------------ cron: AWS's documented examples
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html


def test_daily_at_10_utc():
    assert fires("cron(0 10 * * ? *)", "2024-03-01T10:00:00", 3) == [
        "2024-03-02 Sat 10:00", "2024-03-03 Sun 10:00", "2024-03-04 Mon 10:00"]


def test_daily_at_12_15():
    assert fires("cron(15 12 * * ? *)", "2024-03-01T12:14:59", 2) == ["2024-03-01 Fri 12:15", "2024-03-02 Sat 12:15"]


def test_weekdays_at_6pm():
    assert fires("cron(0 18 ? * MON-FRI *)", "2024-03-01T18:00:00", 3) == [
        "2024-03-04 Mon 18:00", "2024-03-05 Tue 18:00", "2024-03-06 Wed 18:00"]


def test_first_of_month_at_8():
    assert fires("cron(0 8 1 * ? *)", "2024-01-15T00:00:00", 3) == [
        "2024-02-01 Thu 08:00", "2024-03-01 Fri 08:00", "2024-04-01 Mon 08:00"]


def test_every_15_minutes():
    assert fires("cron(0/15 * * * ? *)", "2024-03-01T23:31:00", 3) == [
        "2024-03-01 Fri 23:45", "2024-03-02 Sat 00:00", "2024-03-02 Sat 00:15"]


def test_every_10_minutes_weekdays():
    assert fires("cron(0/10 * ? * MON-FRI *)", "2024-03-01T23:45:00", 2) == [
        "2024-03-01 Fri 23:50", "2024-03-04 Mon 00:00"]


def test_every_5_minutes_office_hours():
    assert fires("cron(0/5 8-17 ? * MON-FRI *)", "2024-03-01T17:50:00", 3) == [
        "2024-03-01 Fri 17:55", "2024-03-04 Mon 08:00", "2024-03-04 Mon 08:05"]


def test_first_monday_of_month():
    assert fires("cron(0 9 ? * 2#1 *)", "2024-01-01T12:00:00", 3) == [
        "2024-02-05 Mon 09:00", "2024-03-04 Mon 09:00", "2024-04-01 Mon 09:00"]


def test_last_day_of_month():
    assert fires("cron(0 0 L * ? *)", "2024-01-31T00:00:00", 3) == [
        "2024-02-29 Thu 00:00", "2024-03-31 Sun 00:00", "2024-04-30 Tue 00:00"]


def test_last_friday_of_month():
    # day-of-week 6 = FRI on AWS (1 = SUN), so 6L = the last Friday
    assert fires("cron(0 12 ? * 6L *)", "2024-03-01T00:00:00", 3) == [
        "2024-03-29 Fri 12:00", "2024-04-26 Fri 12:00", "2024-05-31 Fri 12:00"]
    assert fires("cron(0 12 ? * 5L *)", "2024-03-01T00:00:00", 1) == ["2024-03-28 Thu 12:00"]


def test_nearest_weekday():
    # 2024-06-15 is a Saturday → Friday the 14th; 2024-09-15 is a Sunday → Monday the 16th
    assert fires("cron(0 9 15W * ? 2024)", "2024-06-01T00:00:00", 4) == [
        "2024-06-14 Fri 09:00", "2024-07-15 Mon 09:00", "2024-08-15 Thu 09:00", "2024-09-16 Mon 09:00"]
    # 2024-06-01 is a Saturday: 1W never leaves the month → Monday the 3rd
    assert fires("cron(0 9 1W * ? *)", "2024-05-31T00:00:00", 1) == ["2024-06-03 Mon 09:00"]
    # last weekday: 2024-08-31 is a Saturday → Friday the 30th
    assert fires("cron(0 9 LW * ? *)", "2024-08-01T00:00:00", 1) == ["2024-08-30 Fri 09:00"]


def test_lists_names_and_years():
    assert fires("cron(0 9 ? JAN,JUL MON 2025-2026)", "2024-06-01T00:00:00", 2) == [
        "2025-01-06 Mon 09:00", "2025-01-13 Mon 09:00"]
    assert parse("cron(0 0 1 1 ? 2023)").next_fire(dt("2024-01-01T00:00:00")) is None


def test_sunday_is_1_unlike_unix_cron():
    """A Unix-cron reader (croniter & co.) takes 1 as Monday and a sixth field as seconds."""
    s = parse("cron(0 9 ? * 1 *)")
    assert s.next_fire(dt("2024-03-01T00:00:00")).strftime("%a") == "Sun"
    assert parse("cron(0 9 ? * 2 *)").next_fire(dt("2024-03-01T00:00:00")).strftime("%a") == "Mon"
    assert parse("cron(0 9 ? * 7 *)").next_fire(dt("2024-03-01T00:00:00")).strftime("%a") == "Sat"
    assert parse("cron(0 9 ? * SUN *)") == parse("cron(0 9 ? * SUN *)")


def test_wraparound_day_range():
    assert fires("cron(0 9 ? * FRI-MON *)", "2024-03-01T10:00:00", 4) == [
        "2024-03-02 Sat 09:00", "2024-03-03 Sun 09:00", "2024-03-04 Mon 09:00", "2024-03-08 Fri 09:00"]


@pytest.mark.parametrize("expr, why", [
    ("cron(0 10 * * *)", "six"),                  # five fields (Unix cron)
    ("cron(0 0 10 * * ? *)", "six"),              # seven fields (Quartz with seconds)
    ("cron(0 10 * * * *)", "must be '\\?'"),        # neither day field is ?
    ("cron(0 10 ? * ? *)", "must be '\\?'"),        # both are ?
    ("cron(60 10 * * ? *)", "0-59"),
    ("cron(0 24 * * ? *)", "0-23"),
    ("cron(0 10 32 * ? *)", "1-31"),
    ("cron(0 10 * 13 ? *)", "1-12"),
    ("cron(0 10 ? * 8 *)", "1-7"),
    ("cron(0 10 ? * 0 *)", "1-7"),                # Unix-cron Sunday
    ("cron(0 10 * * ? 2200)", "1970-2199"),
    ("cron(? 10 * * ? *)", "only allowed"),
    ("cron(0 10 ? * 2#6 *)", "1-5"),
    ("cron(0/0 10 * * ? *)", "increment"),
    ("cron(0 10 * FOO ? *)", "not valid"),
    ("cron(5-1 10 * * ? *)", "reversed"),
    ("every day", "rate"),
])
def test_cron_errors_say_what_is_valid(expr, why):
    with pytest.raises(ValueError, match=why) as exc:
        parse(expr)
    assert "cron(" in str(exc.value) or "rate(" in str(exc.value)


def test_parse_returns_cron_schedule():
    s = parse("cron(0/15 * * * ? *)")
    assert isinstance(s, CronSchedule) and sorted(s.minutes) == [0, 15, 30, 45]
