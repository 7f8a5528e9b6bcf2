"""Arrival processes: when requests reach the function.

Each process is a small value object (validated constructor, constructor-form ``repr``, ``mean``
= the long-run rate in requests per second). The simulator asks it for arrival times lazily, in
sorted numpy chunks (``chunks(rng, duration)``), so memory does not grow with the run's length;
``times(rng, duration)`` returns them all at once for plotting.

>>> import numpy as np
>>> Poisson(rate=0.9)
Poisson(rate=0.9)
>>> Deterministic(interval=2.0).times(np.random.default_rng(0), 7.0)
array([0., 2., 4., 6.])
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import csv
import math
import os
from datetime import datetime
from typing import Iterator, Sequence

import numpy as np

__all__ = ["ArrivalProcess", "Poisson", "Deterministic", "Bursty", "Diurnal", "Replay"]

CHUNK = 1 << 16


def _number(owner: str, name: str, value: object, *, unit: str, allow_zero: bool = False,
            upper: float | None = None) -> float:
    lo = f"0 <= {name}" if allow_zero else f"0 < {name}"
    hi = f" <= {upper:g}" if upper is not None else " < inf"
    valid = f"{lo}{hi}"
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    ok = (not isinstance(value, bool) and math.isfinite(x) and (x >= 0 if allow_zero else x > 0)
          and (upper is None or x <= upper))
    if not ok:
        msg = f"{owner} {name} must be a number of {unit} ({valid}), got {value!r}"
        raise ValueError(msg)
    return x


class ArrivalProcess(ABC):
    """Where requests come from: a sorted stream of arrival times in seconds from 0."""

    #: The long-run arrival rate, requests per second.
    mean: float

    @abstractmethod
    def chunks(self, rng: np.random.Generator, duration: float, size: int = CHUNK) -> Iterator[np.ndarray]:
        """Sorted arrival times in ``[0, duration)``, as arrays of about *size* times each."""

    def times(self, rng: np.random.Generator, duration: float) -> np.ndarray:
        """All arrival times in ``[0, duration)`` (for plots; the simulator uses ``chunks``)."""
        parts = list(self.chunks(rng, duration))
        return np.concatenate(parts) if parts else np.empty(0)

    @property
    def rate(self) -> float:
        return self.mean

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


class Poisson(ArrivalProcess):
    """Requests arrive independently at *rate* per second (exponential gaps): the default."""

    __slots__ = ("mean",)

    def __init__(self, rate: float) -> None:
        self.mean = _number("Poisson", "rate", rate, unit="requests per second")

    def chunks(self, rng, duration, size=CHUNK):
        t = 0.0
        scale = 1.0 / self.mean
        while True:
            ts = np.cumsum(rng.exponential(scale, size))
            ts += t
            t = float(ts[-1])
            if ts[-1] >= duration:
                yield from _last_chunk(ts, duration)
                return
            yield ts

    def __repr__(self) -> str:
        return f"Poisson(rate={self.mean!r})"


def _last_chunk(ts: np.ndarray, duration: float) -> Iterator[np.ndarray]:
    """The part of the final chunk *ts* that falls before *duration*, if any."""
    ts = ts[: int(np.searchsorted(ts, duration, side="left"))]
    if ts.size:
        yield ts


class Deterministic(ArrivalProcess):
    """One request every *interval* seconds, the first at *start*."""

    __slots__ = ("interval", "start")

    def __init__(self, interval: float, start: float = 0.0) -> None:
        self.interval = _number("Deterministic", "interval", interval, unit="seconds")
        self.start = _number("Deterministic", "start", start, unit="seconds", allow_zero=True)

    @property
    def mean(self) -> float:  # type: ignore[override]
        return 1.0 / self.interval

    def chunks(self, rng, duration, size=CHUNK):
        k = 0
        while True:
            ts = self.start + self.interval * np.arange(k, k + size, dtype=float)
            k += size
            if ts[-1] >= duration:
                yield from _last_chunk(ts, duration)
                return
            yield ts

    def __repr__(self) -> str:
        extra = f", start={self.start!r}" if self.start else ""
        return f"Deterministic(interval={self.interval!r}{extra})"


class Bursty(ArrivalProcess):
    """On/off traffic: Poisson at *rate* during "on" periods, at *off_rate* (default 0) between.

    Periods last *on* and *off* seconds on average; they are exponential (an interrupted Poisson
    process) unless ``random_periods=False``, which makes them exactly *on* and *off* long.
    The process starts in an "on" period at t = 0.
    """

    __slots__ = ("rate_on", "on", "off", "off_rate", "random_periods")

    def __init__(self, rate: float, on: float, off: float, off_rate: float = 0.0,
                 random_periods: bool = True) -> None:
        self.rate_on = _number("Bursty", "rate", rate, unit="requests per second")
        self.on = _number("Bursty", "on", on, unit="seconds")
        self.off = _number("Bursty", "off", off, unit="seconds")
        self.off_rate = _number("Bursty", "off_rate", off_rate, unit="requests per second", allow_zero=True)
        self.random_periods = bool(random_periods)

    @property
    def mean(self) -> float:  # type: ignore[override]
        return (self.rate_on * self.on + self.off_rate * self.off) / (self.on + self.off)

    def chunks(self, rng, duration, size=CHUNK):
        # Periods a batch at a time: even very short on/off periods cost no Python per period.
        t = 0.0
        batch = 4096  # an even number: every batch starts with an "on" period
        rates = np.tile([self.rate_on, self.off_rate], batch // 2)
        means = np.tile([self.on, self.off], batch // 2)
        buf: list[np.ndarray] = []
        count = 0
        while t < duration:
            lengths = rng.exponential(means) if self.random_periods else means
            ends = t + np.cumsum(lengths)
            starts = ends - lengths
            keep = starts < duration
            ends = np.minimum(ends, duration)
            n = rng.poisson(rates * (ends - starts) * keep)
            total = int(n.sum())
            t = float(starts[-1] + lengths[-1]) if keep.all() else duration
            if total:
                lo = np.repeat(starts, n)
                ts = lo + rng.random(total) * (np.repeat(ends, n) - lo)
                ts.sort()
                buf.append(ts)
                count += total
            if count >= size:
                yield np.concatenate(buf)
                buf, count = [], 0
        if count:
            yield np.concatenate(buf)

    def __repr__(self) -> str:
        extra = f", off_rate={self.off_rate!r}" if self.off_rate else ""
        extra += "" if self.random_periods else ", random_periods=False"
        return f"Bursty(rate={self.rate_on!r}, on={self.on!r}, off={self.off!r}{extra})"


class Diurnal(ArrivalProcess):
    """A non-homogeneous Poisson process following a daily curve, generated by thinning.

    Either a sine wave, ``Diurnal(mean_rate=5, amplitude=0.8, peak_hour=14)``: the rate is
    ``mean_rate * (1 + amplitude * cos(2 pi (t - peak) / period))``; or a curve of equally spaced
    rates over the period, linearly interpolated and periodic, ``Diurnal(hourly=[...24 rates])``.
    Time 0 is midnight.
    """

    __slots__ = ("mean_rate", "amplitude", "peak_hour", "period", "hourly", "_curve", "_max")

    def __init__(self, mean_rate: float | None = None, amplitude: float = 0.5, peak_hour: float = 14.0,
                 *, hourly: Sequence[float] | None = None, period: float = 86400.0) -> None:
        self.period = _number("Diurnal", "period", period, unit="seconds")
        if (mean_rate is None) == (hourly is None):
            msg = "Diurnal needs exactly one of mean_rate= (a sine curve) or hourly= (a list of rates)"
            raise ValueError(msg)
        self.hourly: tuple[float, ...] | None = None
        if hourly is not None:
            rates = [_number("Diurnal", "hourly rate", r, unit="requests per second", allow_zero=True)
                     for r in hourly]
            if not rates or max(rates) <= 0:
                msg = f"Diurnal hourly must hold at least one rate > 0 (0 <= rate < inf), got {list(hourly)!r}"
                raise ValueError(msg)
            self.hourly = tuple(rates)
            self._curve = np.array(rates + rates[:1])
            self._max = max(rates)
            self.mean_rate = float(np.mean(rates))  # mean of a periodic piecewise-linear curve
            self.amplitude = 0.0
            self.peak_hour = 0.0
        else:
            self.mean_rate = _number("Diurnal", "mean_rate", mean_rate, unit="requests per second")
            self.amplitude = _number("Diurnal", "amplitude", amplitude, unit="(a fraction)", allow_zero=True,
                                     upper=1.0)
            hours = self.period / 3600.0
            if not (isinstance(peak_hour, (int, float)) and 0 <= peak_hour < hours):
                msg = f"Diurnal peak_hour must be an hour of the period (0 <= peak_hour < {hours:g}), got {peak_hour!r}"
                raise ValueError(msg)
            self.peak_hour = float(peak_hour)
            self._max = self.mean_rate * (1.0 + self.amplitude)

    @property
    def mean(self) -> float:  # type: ignore[override]
        return self.mean_rate

    def rate_at(self, t):
        """The instantaneous rate (requests per second) at time(s) *t*."""
        t = np.asarray(t, dtype=float)
        if self.hourly is not None:
            n = len(self.hourly)
            x = (t % self.period) / self.period * n
            return np.interp(x, np.arange(n + 1), self._curve)
        phase = 2.0 * np.pi * (t - self.peak_hour * 3600.0) / self.period
        return self.mean_rate * (1.0 + self.amplitude * np.cos(phase))

    def chunks(self, rng, duration, size=CHUNK):
        for ts in Poisson(self._max).chunks(rng, duration, size):
            keep = rng.random(ts.size) * self._max < self.rate_at(ts)
            ts = ts[keep]
            if ts.size:
                yield ts

    def __repr__(self) -> str:
        if self.hourly is not None:
            extra = "" if self.period == 86400.0 else f", period={self.period!r}"
            return f"Diurnal(hourly={list(self.hourly)!r}{extra})"
        extra = "" if self.period == 86400.0 else f", period={self.period!r}"
        return (f"Diurnal(mean_rate={self.mean_rate!r}, amplitude={self.amplitude!r}, "
                f"peak_hour={self.peak_hour!r}{extra})")


def _parse_time(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).timestamp()
    except ValueError:
        msg = f"Replay could not read a timestamp (seconds, or an ISO 8601 date-time) from {text!r} at {where}"
        raise ValueError(msg) from None


class Replay(ArrivalProcess):
    """Arrival times taken from a trace: a sequence of seconds, or a CSV file.

    Args:
        source: a sequence of times (seconds), or the path of a CSV file.
        column: the CSV column holding the timestamps (a header name or a 0-based index).
            Values are seconds or ISO 8601 date-times.
        relative: subtract the first timestamp, so the trace starts at t = 0 (use it for epoch
            or date-time stamps).
    """

    __slots__ = ("source", "column", "relative", "_times")

    def __init__(self, source: Sequence[float] | str | os.PathLike, column: str | int = 0,
                 relative: bool = False) -> None:
        self.column = column
        self.relative = bool(relative)
        if isinstance(source, (str, os.PathLike)):
            self.source: object = os.fspath(source)
            raw = self._read_csv(self.source, column)
        else:
            self.source = None
            try:
                raw = np.asarray(source, dtype=float).ravel()
            except (TypeError, ValueError):
                msg = f"Replay source must be a sequence of times in seconds or a CSV path, got {source!r}"
                raise ValueError(msg) from None
        if raw.size == 0:
            msg = "Replay needs at least one timestamp (0 <= time < inf), got none"
            raise ValueError(msg)
        if not np.isfinite(raw).all():
            msg = f"Replay timestamps must be finite (0 <= time < inf), got {raw[~np.isfinite(raw)][0]!r}"
            raise ValueError(msg)
        times = np.sort(raw)
        if self.relative:
            times = times - times[0]
        if times[0] < 0:
            msg = (f"Replay timestamps must be >= 0 seconds (0 <= time < inf), got {times[0]!r}; "
                   "pass relative=True to start the trace at 0")
            raise ValueError(msg)
        times.setflags(write=False)
        self._times = times

    @staticmethod
    def _read_csv(path: str, column: str | int) -> np.ndarray:
        try:
            f = open(path, newline="")  # noqa: SIM115
        except OSError as exc:
            msg = f"Replay could not open the trace {path!r}: {exc.strerror}"
            raise ValueError(msg) from None
        with f:
            rows = list(csv.reader(f))
        if not rows:
            msg = f"Replay trace {path!r} is empty; it needs at least one timestamp"
            raise ValueError(msg)
        start = 0
        if isinstance(column, str):
            header = [h.strip() for h in rows[0]]
            if column not in header:
                msg = f"Replay trace {path!r} has no column {column!r}; its columns are {', '.join(header)}"
                raise ValueError(msg)
            idx = header.index(column)
            start = 1
        else:
            idx = int(column)
            try:
                float(rows[0][idx])
            except (ValueError, IndexError):
                start = 1  # a header row
        out = []
        for n, row in enumerate(rows[start:], start=start + 1):
            if not row or not "".join(row).strip():
                continue
            if idx >= len(row):
                msg = f"Replay trace {path!r} line {n} has no column {column!r}"
                raise ValueError(msg)
            out.append(_parse_time(row[idx], f"{path} line {n}"))
        return np.asarray(out, dtype=float)

    @property
    def timestamps(self) -> np.ndarray:
        return self._times

    @property
    def mean(self) -> float:  # type: ignore[override]
        t = self._times
        span = float(t[-1] - t[0])
        return (t.size - 1) / span if span > 0 else math.inf

    def chunks(self, rng, duration, size=CHUNK):
        t = self._times[: int(np.searchsorted(self._times, duration, side="left"))]
        for i in range(0, t.size, size):
            yield t[i:i + size]

    def __repr__(self) -> str:
        extra = "" if self.column == 0 else f", column={self.column!r}"
        extra += ", relative=True" if self.relative else ""
        if self.source is not None:
            return f"Replay({self.source!r}{extra})"
        t = self._times
        shown = ", ".join(repr(float(x)) for x in t[:4])
        more = f", ... ({t.size} times)" if t.size > 4 else ""
        return f"Replay([{shown}{more}]{extra})"
