"""Two clocks with one interface: the wall clock (real time, real waiting) and a virtual clock
(time moves only when told to, so hours of traffic take no real time).

Platform rules never read the time or start timers themselves; they ask a clock. Timers are a
heap of ``(time, sequence, callback)`` so that ties run first-in, first-out, as in SimPy.
"""

from __future__ import annotations

import heapq
from abc import ABC, abstractmethod
import itertools
import threading
import time
from typing import Any, Callable


class Timer:
    """A scheduled callback; ``cancel()`` stops it from running."""

    __slots__ = ("when", "callback", "args", "cancelled")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __repr__(self) -> str:
        name = getattr(self.callback, "__qualname__", repr(self.callback))
        return f"Timer(when={self.when:.3f}, callback={name}, cancelled={self.cancelled})"


class Clock(ABC):
    """What every clock offers: ``now()``, ``call_at``, ``call_later`` and ``advance``."""

    virtual: bool = False

    @abstractmethod
    def now(self) -> float:
        """The current time, in epoch seconds."""

    @abstractmethod
    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` when the clock reaches *when*."""

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self.now() + delay, callback, *args)

    @abstractmethod
    def advance(self, seconds: float) -> None:
        """Let *seconds* pass (a virtual clock jumps; the wall clock waits)."""

    def close(self) -> None:
        """Stop running timers (the wall clock's thread)."""


class VirtualClock(Clock):
    """Time that moves only when ``advance`` is called; due timers run in time order.

    Args:
        start: the initial time in epoch seconds (so event timestamps look real).
    """

    virtual = True

    def __init__(self, start: float | None = None) -> None:
        self._now = float(time.time() if start is None else start)
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(max(when, self._now), callback, args)
        with self._lock:
            heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        return timer

    def pending(self) -> int:
        """How many timers are waiting (cancelled ones excluded)."""
        return sum(1 for _, _, t in self._heap if not t.cancelled)

    def next_due(self) -> float | None:
        """When the next live timer falls due, or None."""
        with self._lock:
            while self._heap and self._heap[0][2].cancelled:
                heapq.heappop(self._heap)
            return self._heap[0][0] if self._heap else None

    def advance(self, seconds: float) -> None:
        """Move time forward by *seconds*, running every timer that falls due, in time order."""
        if seconds < 0:
            msg = f"cannot advance a clock backwards (seconds={seconds!r}); pass a value >= 0"
            raise ValueError(msg)
        self.advance_to(self._now + seconds)

    def advance_to(self, when: float) -> None:
        """Move time forward to *when* (no-op if it is in the past), running due timers."""
        while True:
            with self._lock:
                if not self._heap or self._heap[0][0] > when:
                    break
                due, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            if due > self._now:
                self._now = due
            timer.callback(*timer.args)
        if when > self._now:
            self._now = when

    def run(self, limit: float | None = None) -> None:
        """Run timers until none is left (or until time *limit*)."""
        while True:
            due = self.next_due()
            if due is None or (limit is not None and due > limit):
                break
            self.advance_to(due)
        if limit is not None:
            self.advance_to(limit)

    def sleep(self, seconds: float) -> None:
        """Same as ``advance``: on a virtual clock waiting takes no real time."""
        self.advance(seconds)

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now:.3f}, pending={self.pending()})"


class WallClock(Clock):
    """Real time. Timers run on one daemon thread; ``advance`` really waits."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def now(self) -> float:
        return time.time()

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(when, callback, args)
        with self._cond:
            if self._closed:
                timer.cancel()
                return timer
            heapq.heappush(self._heap, (when, next(self._seq), timer))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="minilambda-wallclock", daemon=True)
                self._thread.start()
            self._cond.notify()
        return timer

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0][0] > time.time()):
                    wait = None if not self._heap else max(0.0, self._heap[0][0] - time.time())
                    self._cond.wait(wait)
                if self._closed:
                    return
                _, _, timer = heapq.heappop(self._heap)
            if not timer.cancelled:
                try:
                    timer.callback(*timer.args)
                except Exception:  # pragma: no cover - a timer must never kill the clock
                    import traceback

                    traceback.print_exc()

    def advance(self, seconds: float) -> None:
        """Wait *seconds* of real time (timers keep running on their thread)."""
        if seconds < 0:
            msg = f"cannot advance a clock backwards (seconds={seconds!r}); pass a value >= 0"
            raise ValueError(msg)
        time.sleep(seconds)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()

    def __repr__(self) -> str:
        return f"WallClock(now={self.now():.3f})"
