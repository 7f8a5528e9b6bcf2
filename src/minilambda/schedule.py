"""AWS schedule expressions (EventBridge rules): ``rate(...)`` and six-field ``cron(...)``.

``parse(expr)`` returns a ``RateSchedule`` or a ``CronSchedule``; both answer
``next_fire(after)`` with the first fire time strictly after *after* (UTC ``datetime``).

AWS's cron is not Unix cron, and not the cron of common Python libraries:

* six fields ``Minutes Hours Day-of-month Month Day-of-week Year`` (a library such as
  croniter reads a sixth field as *seconds*);
* day-of-week counts **1-7 = SUN-SAT** (Unix cron: 0-6 = SUN-SAT, so ``cron(0 9 ? * 2 *)`` is
  Monday on AWS but would be Tuesday for a Unix-cron reader);
* one of day-of-month / day-of-week must be ``?`` (Unix cron ORs the two fields instead);
* ``L``, ``W`` and ``#`` as in Quartz: ``L`` (last day of month), ``LW`` (last weekday),
  ``15W`` (weekday nearest the 15th, never crossing the month), ``6L`` (last Friday),
  ``2#1`` (first Monday);
* all times are UTC; the smallest unit is one minute.

>>> from datetime import datetime, timezone
>>> s = parse("cron(0 9 ? * 2#1 *)")          # first Monday of each month, 09:00 UTC
>>> s.next_fire(datetime(2024, 1, 10, tzinfo=timezone.utc)).isoformat()
'2024-02-05T09:00:00+00:00'
>>> parse("rate(5 minutes)").interval
300
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

__all__ = ["parse", "RateSchedule", "CronSchedule", "validate"]

MIN_YEAR, MAX_YEAR = 1970, 2199

_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}

_RATE_HELP = ("a rate expression is rate(<value> <unit>) with a positive whole value and unit "
              "minute|minutes|hour|hours|day|days (singular only for 1: rate(1 hour), rate(5 hours))")
_CRON_HELP = ("a cron expression is cron(Minutes Hours Day-of-month Month Day-of-week Year): six "
              "fields, one of Day-of-month/Day-of-week must be '?', Minutes 0-59, Hours 0-23, "
              "Day-of-month 1-31 (or L, LW, nW), Month 1-12 or JAN-DEC, Day-of-week 1-7 (1 = SUN) or "
              "SUN-SAT (or nL, n#k), Year 1970-2199; wildcards * , - /")


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


@dataclass(frozen=True)
class RateSchedule:
    """``rate(N unit)``: every *interval* seconds, counted from an anchor (the rule's creation)."""

    expression: str
    value: int
    unit: str  # minute | hour | day
    interval: int  # seconds

    def next_fire(self, after: datetime, anchor: datetime | None = None) -> datetime:
        """The first ``anchor + k*interval`` (k >= 1) strictly after *after*.

        Without an anchor the schedule counts from *after* itself (the next fire is one interval
        later). EventBridge anchors at the rule's creation, truncated to the minute.
        """
        after = _utc(after)
        if anchor is None:
            return after + timedelta(seconds=self.interval)
        anchor = _utc(anchor)
        elapsed = (after - anchor).total_seconds()
        k = max(1, int(elapsed // self.interval) + 1)
        return anchor + timedelta(seconds=k * self.interval)


@dataclass(frozen=True)
class _Field:
    values: frozenset[int] = frozenset()
    any: bool = False  # '*' or '?'


@dataclass(frozen=True)
class CronSchedule:
    """``cron(Minutes Hours Day-of-month Month Day-of-week Year)``, evaluated in UTC."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    dom_any: bool  # '?' or '*' in day-of-month
    dom_values: frozenset[int] = frozenset()
    dom_last: bool = False  # L
    dom_last_weekday: bool = False  # LW
    dom_nearest_weekday: frozenset[int] = frozenset()  # nW
    dow_question: bool = False
    dow_any: bool = False
    dow_values: frozenset[int] = frozenset()  # 1..7, 1 = Sunday
    dow_last: frozenset[int] = frozenset()  # nL: last <weekday> of the month
    dow_nth: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (weekday, k) for n#k

    def matches_day(self, d: date) -> bool:
        if d.month not in self.months or d.year not in self.years:
            return False
        if self.dow_question:  # day-of-month decides
            if self.dom_any:
                return True
            last = calendar.monthrange(d.year, d.month)[1]
            if d.day in self.dom_values:
                return True
            if self.dom_last and d.day == last:
                return True
            if self.dom_last_weekday and d == _nearest_weekday(d.year, d.month, last):
                return True
            return any(d == _nearest_weekday(d.year, d.month, n) for n in self.dom_nearest_weekday
                       if n <= last)
        # day-of-week decides (day-of-month is '?')
        aws_dow = (d.isoweekday() % 7) + 1  # Sunday=1 … Saturday=7
        if self.dow_any or aws_dow in self.dow_values:
            return True
        last = calendar.monthrange(d.year, d.month)[1]
        if aws_dow in self.dow_last and d.day + 7 > last:
            return True
        return (aws_dow, (d.day - 1) // 7 + 1) in self.dow_nth

    def next_fire(self, after: datetime, anchor: datetime | None = None) -> datetime | None:
        """The first matching minute strictly after *after*; None when the years run out."""
        after = _utc(after)
        start = (after.replace(second=0, microsecond=0) + timedelta(minutes=1))
        day = start.date()
        first = True
        end = date(min(max(self.years), MAX_YEAR), 12, 31)
        while day <= end:
            if day.year not in self.years:
                day = date(day.year + 1, 1, 1)
                first = False
                continue
            if day.month not in self.months:
                day = (date(day.year + 1, 1, 1) if day.month == 12
                       else date(day.year, day.month + 1, 1))
                first = False
                continue
            if self.matches_day(day):
                for h in sorted(self.hours):
                    if first and h < start.hour:
                        continue
                    for m in sorted(self.minutes):
                        if first and h == start.hour and m < start.minute:
                            continue
                        return datetime(day.year, day.month, day.day, h, m, tzinfo=timezone.utc)
            day += timedelta(days=1)
            first = False
        return None


def _nearest_weekday(year: int, month: int, dom: int) -> date:
    """Quartz ``nW``: the weekday nearest day *dom*, staying inside the month."""
    d = date(year, month, dom)
    last = calendar.monthrange(year, month)[1]
    if d.weekday() == 5:  # Saturday → Friday, or Monday if Friday is in the previous month
        return d - timedelta(days=1) if dom > 1 else d + timedelta(days=2)
    if d.weekday() == 6:  # Sunday → Monday, or Friday if Monday is in the next month
        return d + timedelta(days=1) if dom < last else d - timedelta(days=2)
    return d


def parse(expression: str) -> RateSchedule | CronSchedule:
    """Parse an AWS schedule expression; ``ValueError`` (saying what is valid) if malformed."""
    if not isinstance(expression, str):
        raise ValueError(f"schedule expression must be a string, not {type(expression).__name__}")
    expr = expression.strip()
    m = re.fullmatch(r"rate\((.*)\)", expr)
    if m:
        return _parse_rate(expression, m.group(1))
    m = re.fullmatch(r"cron\((.*)\)", expr)
    if m:
        return _parse_cron(expression, m.group(1))
    raise ValueError(f"invalid schedule expression {expression!r}: expected rate(...) or cron(...); "
                     f"{_RATE_HELP}; {_CRON_HELP}")


def validate(expression: str) -> bool:
    """True if *expression* parses."""
    try:
        parse(expression)
    except ValueError:
        return False
    return True


def _parse_rate(expression: str, inner: str) -> RateSchedule:
    m = re.fullmatch(r"\s*(\d+)\s+([a-z]+)\s*", inner)
    if not m:
        raise ValueError(f"invalid rate expression {expression!r}: {_RATE_HELP}")
    value, unit = int(m.group(1)), m.group(2)
    base = unit[:-1] if unit.endswith("s") else unit
    if base not in _RATE_UNITS:
        raise ValueError(f"invalid rate expression {expression!r}: unknown unit {unit!r}; {_RATE_HELP}")
    if value <= 0:
        raise ValueError(f"invalid rate expression {expression!r}: value must be positive; {_RATE_HELP}")
    if value == 1 and unit != base:
        raise ValueError(f"invalid rate expression {expression!r}: use the singular unit for 1 "
                         f"(rate(1 {base})); {_RATE_HELP}")
    if value != 1 and unit == base:
        raise ValueError(f"invalid rate expression {expression!r}: use the plural unit for values "
                         f"other than 1 (rate({value} {base}s)); {_RATE_HELP}")
    return RateSchedule(expression, value, base, value * _RATE_UNITS[base])


def _num(token: str, lo: int, hi: int, names: dict[str, int] | None, what: str, expr: str) -> int:
    t = token.upper()
    if names and t in names:
        return names[t]
    if not t.isdigit():
        raise ValueError(f"invalid cron expression {expr!r}: {what} value {token!r} is not valid; {_CRON_HELP}")
    n = int(t)
    if not lo <= n <= hi:
        raise ValueError(f"invalid cron expression {expr!r}: {what} value {n} is outside {lo}-{hi}; {_CRON_HELP}")
    return n


def _parse_list(text: str, lo: int, hi: int, names: dict[str, int] | None, what: str, expr: str,
                wrap: bool = False) -> frozenset[int]:
    """``*``, ``a``, ``a-b``, ``a/s``, ``*/s``, ``a-b/s`` and comma lists of those."""
    out: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ValueError(f"invalid cron expression {expr!r}: empty item in {what}; {_CRON_HELP}")
        step = 1
        has_step = "/" in part
        if has_step:
            part, step_s = part.split("/", 1)
            if not step_s.isdigit() or int(step_s) == 0:
                raise ValueError(f"invalid cron expression {expr!r}: bad increment {step_s!r} in {what}; {_CRON_HELP}")
            step = int(step_s)
        if part == "*":
            a, b = lo, hi
        elif "-" in part:
            a_s, b_s = part.split("-", 1)
            a = _num(a_s, lo, hi, names, what, expr)
            b = _num(b_s, lo, hi, names, what, expr)
        else:
            a = _num(part, lo, hi, names, what, expr)
            b = hi if has_step else a
        if a <= b:
            out.update(range(a, b + 1, step))
        elif wrap:  # e.g. FRI-MON
            seq = list(range(a, hi + 1)) + list(range(lo, b + 1))
            out.update(seq[::step])
        else:
            raise ValueError(f"invalid cron expression {expr!r}: range {a}-{b} in {what} is reversed; {_CRON_HELP}")
    return frozenset(out)


def _day_of_month(dom: str, expression: str) -> dict:
    """The day-of-month field (day-of-week is '?'): values, ``L``, ``LW`` and ``nW``."""
    kw: dict = {"dow_question": True, "dom_any": dom == "*"}
    if dom == "*":
        return kw
    plain = []
    near = set()
    for item in dom.split(","):
        u = item.upper()
        if u == "L":
            kw["dom_last"] = True
        elif u == "LW":
            kw["dom_last_weekday"] = True
        elif re.fullmatch(r"\d+W", u):
            near.add(_num(u[:-1], 1, 31, None, "Day-of-month", expression))
        else:
            plain.append(item)
    if plain:
        kw["dom_values"] = _parse_list(",".join(plain), 1, 31, None, "Day-of-month", expression)
    kw["dom_nearest_weekday"] = frozenset(near)
    return kw


def _day_of_week(dow: str, expression: str) -> dict:
    """The day-of-week field (day-of-month is '?'): values, ``L``, ``nL`` and ``d#k``."""
    kw: dict = {"dom_any": False}
    if dow == "*":
        kw["dow_any"] = True
        return kw
    plain, last, nth = [], set(), set()
    for item in dow.split(","):
        u = item.upper()
        m = re.fullmatch(r"(\w+)#(\d)", u)
        if m:
            k = int(m.group(2))
            if not 1 <= k <= 5:
                raise ValueError(f"invalid cron expression {expression!r}: '#' needs 1-5 "
                                 f"(the k-th weekday of the month); {_CRON_HELP}")
            nth.add((_num(m.group(1), 1, 7, _DAYS, "Day-of-week", expression), k))
        elif u == "L":
            plain.append("7")  # Quartz: 'L' alone in day-of-week is Saturday
        elif re.fullmatch(r"\w+L", u):
            last.add(_num(u[:-1], 1, 7, _DAYS, "Day-of-week", expression))
        else:
            plain.append(item)
    if plain:
        kw["dow_values"] = _parse_list(",".join(plain), 1, 7, _DAYS, "Day-of-week", expression, wrap=True)
    kw["dow_last"] = frozenset(last)
    kw["dow_nth"] = frozenset(nth)
    return kw


def _parse_cron(expression: str, inner: str) -> CronSchedule:
    fields = inner.split()
    if len(fields) != 6:
        raise ValueError(f"invalid cron expression {expression!r}: {len(fields)} fields given, six "
                         f"required; {_CRON_HELP}")
    mi, ho, dom, mo, dow, yr = fields
    for name, value in (("Minutes", mi), ("Hours", ho), ("Month", mo), ("Year", yr)):
        if value == "?":
            raise ValueError(f"invalid cron expression {expression!r}: '?' is only allowed in "
                             f"Day-of-month or Day-of-week, not {name}; {_CRON_HELP}")
    if (dom == "?") == (dow == "?"):
        raise ValueError(f"invalid cron expression {expression!r}: exactly one of Day-of-month and "
                         f"Day-of-week must be '?'; {_CRON_HELP}")
    kw = _day_of_month(dom, expression) if dow == "?" else _day_of_week(dow, expression)
    return CronSchedule(
        expression=expression,
        minutes=_parse_list(mi, 0, 59, None, "Minutes", expression),
        hours=_parse_list(ho, 0, 23, None, "Hours", expression),
        months=_parse_list(mo, 1, 12, _MONTHS, "Month", expression),
        years=_parse_list(yr, MIN_YEAR, MAX_YEAR, None, "Year", expression),
        **kw,
    )
