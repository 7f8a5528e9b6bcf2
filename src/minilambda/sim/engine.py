"""The discrete-event simulator: synthetic requests through the shared platform model.

Every request goes through ``Platform.acquire`` and every departure through
``Platform.release`` (keep-alive through ``Platform.expire``), the same calls the real runtime
makes, so the simulator cannot drift from the rules the course shows. The loop itself is
small: arrivals come in sorted numpy chunks, departures wait in one heap, and the next event
is whichever is earlier. Everything per request that does not decide what happens next
(response times, billing, latency histogram, time series) is computed a chunk at a time with
numpy, after the loop has decided each request's fate.

Time averages are exact, not sampled: the mean number of environments is the sum of their
lifetimes over the run's length, the mean number busy the sum of busy intervals over it.
"""

from __future__ import annotations

import gc
import heapq
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..model.platform import (ACCOUNT_LIMIT, PROVISIONED, RESERVED_LIMIT, SCALING_LIMIT, Placement, Platform,
                        Throttle)
from ..records import EnvironmentEvent, Invocation, Outcome, billed_ms
from .arrivals import CHUNK, ArrivalProcess, Poisson
from .distributions import Distribution, Exponential
from .memory import DurationModel, check_memory

__all__ = ["simulate", "SimulationResult", "Summary", "Series", "SIMFAAS_DEFAULTS"]

#: The parameters of the published SimFaaS experiment the CLI example reproduces.
SIMFAAS_DEFAULTS = {"arrival_rate": 0.9, "warm_mean": 1.991, "cold_mean": 2.244, "keep_alive": 600.0}

ARCHITECTURES = ("x86_64", "arm64")
MAX_SERIES_BUCKETS = 20_000_000
_COLD_DEFAULT: Any = object()

# Latency histogram: fixed log-spaced buckets, 1,000 per decade from 1 us to 100,000 s (each
# bucket spans 0.23 %; a quantile is reported at its bucket's geometric middle, within 0.12 %).
_LAT_LO_EXP = -6
_LAT_PER_DECADE = 1000
_LAT_DECADES = 11
_LAT_BINS = _LAT_DECADES * _LAT_PER_DECADE + 2  # + underflow (index 0) and overflow (last)

_THROTTLES = (RESERVED_LIMIT, ACCOUNT_LIMIT, SCALING_LIMIT)
_CODE_OF = {thr: 2 + i for i, thr in enumerate(_THROTTLES)}  # 0 warm, 1 cold, 2.. throttled
_WARM_PC = 2 + len(_THROTTLES)  # warm on a provisioned environment (billed at its own price)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a simulation measured. Times are seconds; ``*_ms`` are milliseconds."""

    requests: int
    cold_starts: int
    throttles: int
    cold_start_ratio: float  # cold starts / all requests (throttled included)
    throttle_ratio: float
    mean_environments: float  # time averages over [0, duration]
    mean_busy: float
    mean_idle: float
    utilization: float  # mean_busy / mean_environments
    billed_ms_total: int
    gb_seconds: float
    memory_mb: int
    architecture: str
    init_ms_total: float
    latency_mean_s: float  # response time of requests that ran (cold ones include INIT)
    latency_p50_s: float
    latency_p90_s: float
    latency_p95_s: float
    latency_p99_s: float
    environments_created: int
    peak_environments: int
    environment_lifetime_mean_s: float  # environments alive at the end count until the end
    environment_lifetime_max_s: float
    throttle_reasons: dict = field(default_factory=dict)
    duration: float = 0.0
    wall_seconds: float = 0.0  # the event loop alone
    provisioned_requests: int = 0  # served warm by provisioned environments (in requests, not cold_starts)
    provisioned_billed_ms_total: int = 0  # their part of billed_ms_total (priced at the provisioned rate)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready)."""
        d = asdict(self)
        d["throttle_reasons"] = dict(self.throttle_reasons)
        for k, v in d.items():  # NaN (no request ran) is not JSON
            if isinstance(v, float) and not math.isfinite(v):
                d[k] = None
        return d


@dataclass(frozen=True)
class Series:
    """Per-bucket values at a fixed *resolution* (seconds): time averages of environments,
    busy and idle ones within each bucket; counts of requests, cold starts and throttles."""

    resolution: float
    time: np.ndarray  # start of each bucket
    environments: np.ndarray
    busy: np.ndarray
    idle: np.ndarray
    requests: np.ndarray
    cold_starts: np.ndarray
    throttles: np.ndarray

    def __len__(self) -> int:
        return int(self.time.size)

    def to_dict(self) -> dict[str, Any]:
        """Columns as lists (for JSON) or ready for ``pandas.DataFrame(series.to_dict())``."""
        return {k: v.tolist() for k, v in asdict(self).items() if k != "resolution"}

    def __repr__(self) -> str:
        return f"Series(resolution={self.resolution!r}, buckets={len(self)})"


@dataclass(frozen=True)
class SimulationResult:
    """The result of ``simulate``: a summary, an optional time series, optional records."""

    summary: Summary
    series: Series | None = None
    records: list[Invocation] | None = None
    environment_events: list[EnvironmentEvent] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.summary.to_dict()

    def __repr__(self) -> str:
        s = self.summary
        return (f"SimulationResult(requests={s.requests}, cold_start_ratio={s.cold_start_ratio:.4g}, "
                f"throttle_ratio={s.throttle_ratio:.4g}, mean_environments={s.mean_environments:.4g}, "
                f"series={'yes' if self.series is not None else 'no'}, "
                f"records={len(self.records) if self.records is not None else 'no'})")


# ---------------------------------------------------------------------------------------------
# The platform, observed.


class _SimPlatform(Platform):
    """The shared Platform, with observers that account environment lifetimes."""

    def __init__(self, *, horizon: float, track: bool, events: bool, **kw: Any) -> None:
        super().__init__(**kw)
        self.horizon = horizon
        self.n_created = 0
        self.n_stopped = 0
        self.life_sum = 0.0
        self.life_max = 0.0
        self.peak = 0
        self.track = track
        self.iv_start: list[float] = []
        self.iv_end: list[float] = []
        self.events: list[EnvironmentEvent] | None = [] if events else None

    def on_created(self, env, now):  # noqa: ANN001
        self.n_created += 1
        if self.live > self.peak:
            self.peak = self.live
        if self.events is not None:
            self.events.append(EnvironmentEvent(now, env.id, env.pool.function_name, env.pool.version,
                                                "created", env.pool.kind))

    def on_stopped(self, env, when):  # noqa: ANN001
        life = when - env.created_at
        self.n_stopped += 1
        self.life_sum += life
        if life > self.life_max:
            self.life_max = life
        if self.track:
            self.iv_start.append(env.created_at)
            self.iv_end.append(when)
        if self.events is not None:
            self.events.append(EnvironmentEvent(when, env.id, env.pool.function_name, env.pool.version,
                                                "reclaimed", "keep-alive"))


# ---------------------------------------------------------------------------------------------
# The hot loop.


def _run_chunk(times, warm, cold, codes, out, heap, acquire, release, pool, prov, code_of, pk=None):
    """Decide the fate of each arrival in *times*; departures wait in *heap*.

    ``codes[i]``: 0 warm, 1 cold, 2..4 throttled (see ``_CODE_OF``), ``_WARM_PC`` warm on a
    provisioned environment (only when *pk*, the provisioned kind, is given). With *out* (a list)
    the environment or Throttle of each request is appended, for records.
    """
    if out is not None:
        return _run_chunk_keep(times, warm, cold, codes, out, heap, acquire, release, pool, prov, code_of, pk)
    heappush = heapq.heappush
    heappop = heapq.heappop
    thr = Throttle
    i = 0
    for t in times:
        if heap[0][0] <= t:
            while heap[0][0] <= t:
                end, _, env = heappop(heap)
                release(env, end)
        r = acquire(pool, t, prov)
        if r.__class__ is thr:
            codes[i] = code_of[r]
        elif r.cold:
            codes[i] = 1
            heappush(heap, (t + cold[i], r.seq, r))
        else:
            if r.kind is pk:
                codes[i] = _WARM_PC
            heappush(heap, (t + warm[i], r.seq, r))
        i += 1
    return None


def _run_chunk_keep(times, warm, cold, codes, out, heap, acquire, release, pool, prov, code_of, pk=None):
    """``_run_chunk`` that also keeps what each request got (for records); same decisions."""
    heappush = heapq.heappush
    heappop = heapq.heappop
    thr = Throttle
    append = out.append
    i = 0
    for t in times:
        while heap[0][0] <= t:
            end, _, env = heappop(heap)
            release(env, end)
        r = acquire(pool, t, prov)
        append(r)
        if r.__class__ is thr:
            codes[i] = code_of[r]
        elif r.cold:
            codes[i] = 1
            heappush(heap, (t + cold[i], r.seq, r))
        else:
            if r.kind is pk:
                codes[i] = _WARM_PC
            heappush(heap, (t + warm[i], r.seq, r))
        i += 1


class _Buckets:
    """Exact per-bucket integrals of step functions, from intervals added in bulk.

    An interval [a, b) adds the indicator of [a, inf) and subtracts that of [b, inf). The
    indicator of [x, inf) covers ((k+1) r - x) of bucket k = floor(x / r) and all of every later
    bucket: a partial term plus a step in a difference array. Memory: two arrays of
    ``duration / resolution`` floats, whatever the number of requests.
    """

    def __init__(self, horizon: float, res: float) -> None:
        self.r = res
        self.n = max(1, math.ceil(horizon / res - 1e-9))
        self.partial = np.zeros(self.n + 3)
        self.step = np.zeros(self.n + 3)

    def _edge(self, x: np.ndarray, sign: float) -> None:
        if x.size == 0:
            return
        r = self.r
        k = np.minimum((x / r).astype(np.int64), self.n)
        part = np.clip((k + 1) * r - x, 0.0, r)
        lo = int(k.min())
        hi = int(k.max()) + 2
        kk = k - lo
        self.partial[lo:hi] += sign * np.bincount(kk, part, minlength=hi - lo)
        self.step[lo + 1:hi + 1] += sign * r * np.bincount(kk, minlength=hi - lo)

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        self._edge(a, 1.0)
        self._edge(b, -1.0)

    def means(self, horizon: float) -> np.ndarray:
        integ = self.partial[: self.n] + np.cumsum(self.step)[: self.n]
        width = np.full(self.n, self.r)
        width[-1] = horizon - (self.n - 1) * self.r
        return integ / width


def _count_into(arr: np.ndarray, k: np.ndarray) -> None:
    if k.size:
        lo = int(k.min())
        c = np.bincount(k - lo)
        arr[lo:lo + c.size] += c


def _quantiles(hist: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    total = int(hist.sum())
    if total == 0:
        return [math.nan for _ in qs]
    cum = np.cumsum(hist)
    out = []
    for q in qs:
        idx = int(np.searchsorted(cum, q * total, side="left"))
        if idx == 0:
            out.append(0.0)
        elif idx >= _LAT_BINS - 1:
            out.append(10.0 ** (_LAT_LO_EXP + _LAT_DECADES))
        else:
            out.append(10.0 ** (_LAT_LO_EXP + (idx - 0.5) / _LAT_PER_DECADE))
    return out


# ---------------------------------------------------------------------------------------------
# Validation.


def _check_int(name: str, value: object, lo: int, hi: int | None, hint: str = "") -> int:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and value.is_integer():
        ok, value = True, int(value)
    if not ok or value < lo or (hi is not None and value > hi):
        rng = f"{lo} <= {name} <= {hi}" if hi is not None else f"{name} >= {lo}"
        msg = f"{name} must be a whole number ({rng}{hint}), got {value!r}"
        raise ValueError(msg)
    return int(value)  # type: ignore[arg-type]


def _check_seconds(name: str, value: object, *, allow_zero: bool, allow_inf: bool = False) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    ok = not isinstance(value, bool) and not math.isnan(x) and (x >= 0 if allow_zero else x > 0) \
        and (allow_inf or math.isfinite(x))
    if not ok:
        lo = "0 <=" if allow_zero else "0 <"
        hi = "<= inf" if allow_inf else "< inf"
        msg = f"{name} must be a number of seconds ({lo} {name} {hi}), got {value!r}"
        raise ValueError(msg)
    return x


def _check_dist(name: str, value: object) -> Distribution:
    if not isinstance(value, Distribution):
        msg = (f"{name} must be a duration distribution (Exponential, Constant, LogNormal, Empirical), "
               f"got {value!r}")
        raise TypeError(msg)
    return value


# ---------------------------------------------------------------------------------------------
# simulate()


def simulate(*, arrivals: ArrivalProcess | float | None = None, warm: Distribution | None = None,
             cold: Distribution | None = _COLD_DEFAULT, init: Distribution | None = None,
             keep_alive: float | None = 600.0, max_concurrency: int = 1000, duration: float = 3600.0,
             seed: int | None = None, placement: str | Placement = "newest", memory_mb: int = 128,
             architecture: str = "x86_64", provisioned: int = 0, reserved: int | None = None,
             series_resolution: float | None = None, keep_records: bool = False,
             duration_model: DurationModel | None = None, scaling: bool = True,
             max_environments: int | None = None, function_name: str = "function",
             chunk_size: int = CHUNK, progress: Callable[[float], None] | None = None) -> SimulationResult:
    """Simulate one function under a synthetic workload, from an empty start at t = 0.

    Args:
        arrivals: when requests arrive (default ``Poisson(rate=0.9)``; a number means a Poisson
            rate).
        warm: how long a warm request runs (default ``Exponential(mean=1.991)``).
        cold: the whole response time of a cold request, INIT included (the SimFaaS convention;
            default ``Exponential(mean=2.244)``). ``None``: a cold request takes as long as a warm
            one.
        init: instead of *cold*, the INIT duration: a cold request then takes INIT + a warm draw.
        keep_alive: seconds an idle environment lives (``None`` or ``inf``: forever).
        max_concurrency: the account's concurrency limit (a one-function account).
        duration: simulated seconds. Requests arrive in ``[0, duration)``; averages cover it all.
        seed: makes the run reproducible. Arrivals and durations use separate streams, so
            changing the placement policy keeps the same requests (common random numbers).
        placement: ``newest`` (SimFaaS), ``mru``, ``lru`` or ``random``.
        memory_mb, architecture: the function's configuration (billing: GB-seconds).
        provisioned: provisioned-concurrency environments, initialised before t = 0.
        reserved: the function's reserved concurrency (None: none).
        series_resolution: if given, per-bucket time series at this resolution (seconds).
        keep_records: keep one ``Invocation`` per request (memory grows with requests).
        duration_model: if given, *warm*, *cold* and *init* describe durations at its reference
            memory and are scaled to *memory_mb*.
        scaling: apply the scaling rate (1,000 new environments at once, then 100 per second).
        max_environments: an optional cap on live environments (see ``Platform``).
        progress: called with the simulated time reached (seconds) after each chunk of requests,
            and with *duration* at the end (for a progress bar).

    Returns:
        A ``SimulationResult`` with ``summary``, ``series`` and ``records``.
    """
    cfg = _validate(arrivals=arrivals, warm=warm, cold=cold, init=init, keep_alive=keep_alive,
                    max_concurrency=max_concurrency, duration=duration, seed=seed, placement=placement,
                    memory_mb=memory_mb, architecture=architecture, provisioned=provisioned, reserved=reserved,
                    series_resolution=series_resolution, duration_model=duration_model, scaling=scaling,
                    max_environments=max_environments, chunk_size=chunk_size)
    ss = np.random.SeedSequence(cfg.seed)
    s_arr, s_warm, s_cold, s_plat = ss.spawn(4)
    rng_arr, rng_warm, rng_cold = (np.random.default_rng(s) for s in (s_arr, s_warm, s_cold))
    platform, pool, prov_pool = _set_up(cfg, function_name, int(s_plat.generate_state(1)[0]), keep_records)
    acc = _Accumulator(cfg, platform, keep_records)
    heap: list = [(math.inf, 0, None)]  # a sentinel: the heap is never empty
    n_done = 0
    # The loop allocates only acyclic objects (tuples, environments freed by reference counting);
    # the cyclic collector would rescan every live heap entry again and again, a cost that grows
    # with the number of environments, so it is paused while the loop runs.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for times in cfg.arrivals.chunks(rng_arr, cfg.horizon, cfg.chunk_size):
            w, c = _draw_durations(cfg, rng_warm, rng_cold, times.size)
            codes = bytearray(times.size)
            out: list | None = [] if keep_records else None
            _run_chunk(times.tolist(), w.tolist(), c.tolist(), codes, out, heap, platform.acquire, platform.release,
                       pool, prov_pool, _CODE_OF, PROVISIONED if prov_pool is not None else None)
            code = np.frombuffer(codes, dtype=np.uint8)
            acc.add_chunk(times, w, c, code, prov_pool is not None)
            if acc.records is not None:
                _append_records(acc.records, out, times, w, c, code, cfg.init is not None, n_done, function_name,
                                cfg.memory_mb, cfg.architecture)
            n_done += times.size
            if progress is not None and times.size:
                progress(float(times[-1]))
        while heap[0][0] <= cfg.horizon:  # departures up to the end, then keep-alive up to the end
            end, _, env = heapq.heappop(heap)
            platform.release(env, end)
        platform.expire(cfg.horizon)
        alive = list(platform.environments())
        wall = time.perf_counter() - t0
        if progress is not None:
            progress(cfg.horizon)
    finally:
        if gc_was_enabled:
            gc.enable()
    return SimulationResult(summary=acc.summary(alive, wall), series=acc.series(alive), records=acc.records,
                            environment_events=platform.events, parameters=cfg.parameters())


@dataclass(frozen=True)
class _Config:
    """The validated parameters of one simulation."""

    arrivals: ArrivalProcess
    warm: Distribution
    cold: Distribution | None
    init: Distribution | None
    keep_alive: float | None
    max_concurrency: int
    horizon: float
    seed: int | None
    placement: Placement
    memory_mb: int
    architecture: str
    provisioned: int
    reserved: int | None
    resolution: float | None
    duration_model: DurationModel | None
    scaling: bool
    max_environments: int | None
    chunk_size: int

    @property
    def factor(self) -> float:
        return self.duration_model.factor(self.memory_mb) if self.duration_model is not None else 1.0

    def parameters(self) -> dict[str, Any]:
        return {"arrivals": self.arrivals, "warm": self.warm, "cold": self.cold, "init": self.init,
                "keep_alive": self.keep_alive, "max_concurrency": self.max_concurrency, "duration": self.horizon,
                "seed": self.seed, "placement": self.placement.name, "memory_mb": self.memory_mb,
                "architecture": self.architecture, "provisioned": self.provisioned, "reserved": self.reserved,
                "series_resolution": self.resolution, "duration_model": self.duration_model,
                "scaling": self.scaling, "max_environments": self.max_environments}


def _validate_workload(arrivals: Any, warm: Any, cold: Any, init: Any) -> tuple:
    """Arrivals and the three duration distributions, defaulted and checked."""
    if arrivals is None:
        arrivals = Poisson(SIMFAAS_DEFAULTS["arrival_rate"])
    elif isinstance(arrivals, (int, float)) and not isinstance(arrivals, bool):
        arrivals = Poisson(arrivals)
    elif not isinstance(arrivals, ArrivalProcess):
        msg = f"arrivals must be an arrival process (Poisson, Deterministic, Bursty, Diurnal, Replay), got {arrivals!r}"
        raise TypeError(msg)
    warm = _check_dist("warm", warm) if warm is not None else Exponential(SIMFAAS_DEFAULTS["warm_mean"])
    if init is not None:
        if cold is not _COLD_DEFAULT:
            msg = "give either cold= (the whole cold response time) or init= (INIT, added to a warm draw), not both"
            raise ValueError(msg)
        return arrivals, warm, None, _check_dist("init", init)
    if cold is _COLD_DEFAULT:
        return arrivals, warm, Exponential(SIMFAAS_DEFAULTS["cold_mean"]), None
    return arrivals, warm, (_check_dist("cold", cold) if cold is not None else None), None


def _validate(*, arrivals: Any, warm: Any, cold: Any, init: Any, keep_alive: Any, max_concurrency: Any,
              duration: Any, seed: Any, placement: Any, memory_mb: Any, architecture: Any, provisioned: Any,
              reserved: Any, series_resolution: Any, duration_model: Any, scaling: bool, max_environments: Any,
              chunk_size: Any) -> _Config:
    """Check every parameter of ``simulate`` and say what to fix."""
    arrivals, warm, cold, init = _validate_workload(arrivals, warm, cold, init)
    ka = None if keep_alive is None else _check_seconds("keep_alive", keep_alive, allow_zero=True, allow_inf=True)
    max_concurrency = _check_int("max_concurrency", max_concurrency, 1, None)
    horizon = _check_seconds("duration", duration, allow_zero=False)
    if architecture not in ARCHITECTURES:
        msg = f"architecture must be one of {', '.join(ARCHITECTURES)}, got {architecture!r}"
        raise ValueError(msg)
    if reserved is not None:
        reserved = _check_int("reserved", reserved, 0, max_concurrency, " (max_concurrency)")
    provisioned = _check_int("provisioned", provisioned, 0, reserved if reserved is not None else max_concurrency,
                             " (reserved)" if reserved is not None else " (max_concurrency)")
    res = None
    if series_resolution is not None:
        res = _check_seconds("series_resolution", series_resolution, allow_zero=False)
        if horizon / res > MAX_SERIES_BUCKETS:
            msg = (f"series_resolution is too fine for this duration: at most {MAX_SERIES_BUCKETS:,} buckets "
                   f"(series_resolution >= {horizon / MAX_SERIES_BUCKETS:g} s), got {series_resolution!r}")
            raise ValueError(msg)
    if duration_model is not None and not isinstance(duration_model, DurationModel):
        msg = f"duration_model must be a DurationModel, got {duration_model!r}"
        raise TypeError(msg)
    return _Config(
        arrivals=arrivals, warm=warm, cold=cold, init=init, keep_alive=None if ka is None or math.isinf(ka) else ka,
        max_concurrency=max_concurrency, horizon=horizon,
        seed=_check_int("seed", seed, 0, None) if seed is not None else None,
        placement=placement if isinstance(placement, Placement) else Placement(str(placement)),
        memory_mb=check_memory(memory_mb), architecture=architecture, provisioned=provisioned, reserved=reserved,
        resolution=res, duration_model=duration_model, scaling=scaling,
        max_environments=(_check_int("max_environments", max_environments, 1, None)
                          if max_environments is not None else None),
        chunk_size=_check_int("chunk_size", chunk_size, 1, None))


def _set_up(cfg: _Config, function_name: str, seed: int, keep_records: bool) -> tuple:
    """The platform, the function's on-demand pool and its provisioned pool (or None)."""
    platform = _SimPlatform(horizon=cfg.horizon, track=cfg.resolution is not None, events=keep_records,
                            account_concurrency=cfg.max_concurrency, keep_alive=cfg.keep_alive,
                            placement=cfg.placement, max_environments=cfg.max_environments, scaling=cfg.scaling,
                            seed=seed, min_unreserved=0, id_prefix="env")
    pool = platform.pool(function_name, "$LATEST", 0.0)
    if cfg.reserved is not None:
        platform.set_reserved(function_name, cfg.reserved, 0.0)
    prov_pool = None
    if cfg.provisioned:
        for env in platform.set_provisioned(function_name, "live", "$LATEST", cfg.provisioned, 0.0):
            platform.ready(env, 0.0)
        prov_pool = platform.provisioned_pool(function_name, "live")
    return platform, pool, prov_pool


def _draw_durations(cfg: _Config, rng_warm: Any, rng_cold: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Warm and cold response times (seconds) for the next *n* requests."""
    factor = cfg.factor
    w = cfg.warm._arr(rng_warm, n)
    if factor != 1.0:
        w *= factor
    if cfg.init is not None:
        ini = cfg.init._arr(rng_cold, n)
        if factor != 1.0:
            ini *= factor
        return w, ini + w
    if cfg.cold is not None:
        c = cfg.cold._arr(rng_cold, n)
        if factor != 1.0:
            c *= factor
        return w, c
    return w, w


class _Accumulator:
    """Everything that does not decide the next event, a chunk at a time: counts, latency histogram,
    billed milliseconds, busy time, the optional per-bucket series and records."""

    def __init__(self, cfg: _Config, platform: _SimPlatform, keep_records: bool) -> None:
        self.cfg = cfg
        self.platform = platform
        self.lat_hist = np.zeros(_LAT_BINS, dtype=np.int64)
        self.code_hist = np.zeros(3 + len(_THROTTLES), dtype=np.int64)
        self.provisioned_billed = 0
        self.busy_time = 0.0
        self.lat_sum = 0.0
        self.billed_total = 0
        self.init_ms_total = 0.0
        self.records: list[Invocation] | None = [] if keep_records else None
        self.buckets_env = self.buckets_busy = None
        if cfg.resolution is not None:
            self.buckets_env = _Buckets(cfg.horizon, cfg.resolution)
            self.buckets_busy = _Buckets(cfg.horizon, cfg.resolution)
            nb = self.buckets_env.n
            self.req_count, self.cold_count, self.thr_count = (np.zeros(nb + 1, dtype=np.int64) for _ in range(3))

    def add_chunk(self, times: np.ndarray, w: np.ndarray, c: np.ndarray, code: np.ndarray,
                  has_provisioned: bool) -> None:
        cfg = self.cfg
        self.code_hist += np.bincount(code, minlength=self.code_hist.size)
        served = (code < 2) | (code == _WARM_PC)
        is_cold = code == 1
        d = np.where(is_cold, c, w)
        ts = times[served]
        ds = d[served]
        ends = np.minimum(ts + ds, cfg.horizon)
        self.busy_time += float((ends - ts).sum())
        self.lat_sum += float(ds.sum())
        with np.errstate(divide="ignore"):
            li = np.floor((np.log10(ds) - _LAT_LO_EXP) * _LAT_PER_DECADE)
        li = np.clip(np.nan_to_num(li, neginf=-1.0), -1, _LAT_BINS - 2).astype(np.int64) + 1
        self.lat_hist += np.bincount(li, minlength=_LAT_BINS)
        billed = np.ceil(np.round(ds * 1000.0, 6))
        self.billed_total += int(billed.sum())
        if has_provisioned:
            self.provisioned_billed += int(billed[code[served] == _WARM_PC].sum())
        if cfg.init is not None:
            self.init_ms_total += float((c[is_cold] - w[is_cold]).sum()) * 1000.0
        if cfg.resolution is not None:
            self._add_series(times, served, is_cold, ts, ends)

    def _add_series(self, times: np.ndarray, served: np.ndarray, is_cold: np.ndarray, ts: np.ndarray,
                    ends: np.ndarray) -> None:
        k = (times / self.cfg.resolution).astype(np.int64)
        _count_into(self.req_count, k)
        _count_into(self.cold_count, k[is_cold])
        _count_into(self.thr_count, k[~served])
        self.buckets_busy.add(ts, ends)
        platform = self.platform
        if platform.iv_start:
            self.buckets_env.add(np.array(platform.iv_start), np.array(platform.iv_end))
            platform.iv_start.clear()
            platform.iv_end.clear()

    def summary(self, alive: list, wall: float) -> Summary:
        cfg, platform, code_hist = self.cfg, self.platform, self.code_hist
        horizon = cfg.horizon
        life_sum = platform.life_sum + sum(horizon - env.created_at for env in alive)
        life_max = max([platform.life_max] + [horizon - env.created_at for env in alive])
        n_envs = platform.n_created
        requests = int(code_hist.sum())
        colds = int(code_hist[1])
        provisioned_requests = int(code_hist[_WARM_PC])
        throttles = requests - int(code_hist[0]) - colds - provisioned_requests
        mean_env = life_sum / horizon
        mean_busy = self.busy_time / horizon
        served_n = requests - throttles
        p50, p90, p95, p99 = _quantiles(self.lat_hist, (0.5, 0.9, 0.95, 0.99))
        return Summary(
            requests=requests, cold_starts=colds, throttles=throttles,
            cold_start_ratio=colds / requests if requests else 0.0,
            throttle_ratio=throttles / requests if requests else 0.0,
            mean_environments=mean_env, mean_busy=mean_busy, mean_idle=max(mean_env - mean_busy, 0.0),
            utilization=mean_busy / mean_env if mean_env > 0 else 0.0,
            billed_ms_total=self.billed_total, gb_seconds=self.billed_total / 1000.0 * cfg.memory_mb / 1024.0,
            memory_mb=cfg.memory_mb, architecture=cfg.architecture, init_ms_total=self.init_ms_total,
            latency_mean_s=self.lat_sum / served_n if served_n else math.nan,
            latency_p50_s=p50, latency_p90_s=p90, latency_p95_s=p95, latency_p99_s=p99,
            environments_created=n_envs, peak_environments=platform.peak,
            environment_lifetime_mean_s=life_sum / n_envs if n_envs else 0.0, environment_lifetime_max_s=life_max,
            throttle_reasons={thr.reason: int(code_hist[_CODE_OF[thr]]) for thr in _THROTTLES
                              if code_hist[_CODE_OF[thr]]},
            duration=horizon, wall_seconds=wall, provisioned_requests=provisioned_requests,
            provisioned_billed_ms_total=self.provisioned_billed)

    def series(self, alive: list) -> Series | None:
        cfg, platform = self.cfg, self.platform
        if cfg.resolution is None:
            return None
        horizon, res = cfg.horizon, cfg.resolution
        if alive:
            self.buckets_env.add(np.array([e.created_at for e in alive]), np.full(len(alive), horizon))
        if platform.iv_start:
            self.buckets_env.add(np.array(platform.iv_start), np.array(platform.iv_end))
        nb = self.buckets_env.n
        envs_s = self.buckets_env.means(horizon)
        busy_s = self.buckets_busy.means(horizon)
        return Series(resolution=res, time=np.arange(nb) * res, environments=envs_s, busy=busy_s,
                      idle=np.maximum(envs_s - busy_s, 0.0), requests=self.req_count[:nb],
                      cold_starts=self.cold_count[:nb], throttles=self.thr_count[:nb])


def _append_records(records, out, times, w, c, code, init_mode, offset, fn, memory_mb, arch) -> None:
    tl = times.tolist()
    wl = w.tolist()
    cl = c.tolist()
    for i, r in enumerate(out):
        t = tl[i]
        rid = f"sim-{offset + i:09d}"
        if r.__class__ is Throttle:
            records.append(Invocation(rid, fn, "$LATEST", t, t, Outcome.THROTTLED, memory_size_mb=memory_mb,
                                      architecture=arch, throttle_reason=r.reason, trigger="simulate"))
            continue
        cold = code[i] == 1
        if cold and init_mode:
            init_ms = (cl[i] - wl[i]) * 1000.0
            dur_ms = wl[i] * 1000.0
            end = t + cl[i]
        elif cold:
            init_ms, dur_ms, end = 0.0, cl[i] * 1000.0, t + cl[i]
        else:
            init_ms, dur_ms, end = 0.0, wl[i] * 1000.0, t + wl[i]
        records.append(Invocation(
            rid, fn, "$LATEST", t, end, Outcome.SUCCESS, cold=bool(cold), init_ms=init_ms, duration_ms=dur_ms,
            billed_ms=billed_ms(dur_ms, init_ms), memory_size_mb=memory_mb, environment_id=r.id,
            initialization_type=PROVISIONED if r.kind == PROVISIONED else "on-demand", architecture=arch,
            trigger="simulate"))
