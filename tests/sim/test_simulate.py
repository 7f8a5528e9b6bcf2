"""The simulator against theory (Erlang-B, Little's law), hand-computed traces for each placement
policy, the platform's limits (provisioned, reserved, scaling rate), and its own bookkeeping."""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from minilambda.model.platform import ACCOUNT_LIMIT, RESERVED_LIMIT, SCALING_LIMIT
from minilambda.records import Outcome
from minilambda.sim import (Constant, Deterministic, DurationModel, Exponential, Poisson, Replay, Summary,
                            simulate)


def erlang_b(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def batch_ci(num: np.ndarray, den: np.ndarray, z: float = 3.0) -> tuple[float, float]:
    """Ratio estimate and half-width from batch means (batches = series buckets)."""
    ratios = num / den
    return float(num.sum() / den.sum()), z * float(ratios.std(ddof=1)) / math.sqrt(ratios.size)


# -- theory ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep_alive", [None, 0.0])
def test_throttle_ratio_is_erlang_b(keep_alive):
    """M/M/c/c: with environments that never die (or die at once), a request is lost exactly
    when all c are busy, so the throttle ratio is Erlang-B."""
    c, lam, mean_s = 5, 4.0, 1.0
    r = simulate(arrivals=Poisson(lam), warm=Exponential(mean_s), cold=None, keep_alive=keep_alive,
                 max_concurrency=c, duration=40_000.0, seed=11, series_resolution=1000.0)
    s = r.summary
    est, half = batch_ci(r.series.throttles[1:], r.series.requests[1:])  # drop the first batch (warm-up)
    expected = erlang_b(c, lam * mean_s)
    assert expected == pytest.approx(0.1991, abs=1e-4)
    assert half < 0.01  # the interval is tight enough to mean something
    assert abs(est - expected) < half, (est, half, expected)
    assert abs(s.throttle_ratio - expected) < half
    assert set(s.throttle_reasons) == {ACCOUNT_LIMIT.reason}
    if keep_alive == 0.0:
        assert s.cold_starts == s.requests - s.throttles  # nothing is ever reused
    else:
        assert s.cold_starts == c and s.environments_created == c


def test_littles_law_for_busy_environments():
    lam = 5.0
    r = simulate(arrivals=Poisson(lam), warm=Exponential(2.0), cold=Exponential(3.0), keep_alive=1.0,
                 max_concurrency=12, duration=50_000.0, seed=5, series_resolution=1000.0)
    s = r.summary
    assert 0.001 < s.throttle_ratio < 0.2 and s.cold_starts > 100  # both effects are in play
    served = s.requests - s.throttles
    mean_service = (s.cold_starts * 3.0 + (served - s.cold_starts) * 2.0) / served
    expected = served / s.duration * mean_service  # L = lambda_accepted * E[S]
    busy = r.series.busy[1:]
    half = 3.0 * busy.std(ddof=1) / math.sqrt(busy.size)
    assert abs(s.mean_busy - expected) < max(half, 0.01 * expected), (s.mean_busy, expected, half)
    assert s.mean_busy <= s.mean_environments <= 12 + 1e-9
    assert s.utilization == pytest.approx(s.mean_busy / s.mean_environments)


def test_time_averages_are_exact_sums_over_records():
    r = simulate(arrivals=Poisson(3.0), warm=Exponential(1.0), cold=Exponential(1.5), keep_alive=20.0,
                 max_concurrency=4, duration=2000.0, seed=9, keep_records=True, series_resolution=7.0)
    s, T = r.summary, 2000.0
    ran = [x for x in r.records if x.outcome is Outcome.SUCCESS]
    assert len(r.records) == s.requests
    assert sum(x.outcome is Outcome.THROTTLED for x in r.records) == s.throttles
    assert sum(x.cold for x in r.records) == s.cold_starts
    assert sum(min(x.end, T) - x.start for x in ran) / T == pytest.approx(s.mean_busy, rel=1e-12)
    assert sum(x.billed_ms for x in ran) == s.billed_ms_total
    assert s.gb_seconds == pytest.approx(s.billed_ms_total / 1000 * 128 / 1024)
    # Environment lifetimes from the created/reclaimed events.
    born = {e.environment_id: e.time for e in r.environment_events if e.event == "created"}
    died = {e.environment_id: e.time for e in r.environment_events if e.event == "reclaimed"}
    env_time = sum(died.get(k, T) - t for k, t in born.items())
    assert env_time / T == pytest.approx(s.mean_environments, rel=1e-12)
    assert s.environments_created == len(born)
    # The series integrates to the same averages, and counts add up.
    sr = r.series
    widths = np.diff(np.append(sr.time, T))
    assert len(sr) == math.ceil(T / 7.0)
    assert float((sr.environments * widths).sum()) / T == pytest.approx(s.mean_environments, rel=1e-9)
    assert float((sr.busy * widths).sum()) / T == pytest.approx(s.mean_busy, rel=1e-9)
    assert np.allclose(sr.idle, sr.environments - sr.busy)
    assert (sr.requests.sum(), sr.cold_starts.sum(), sr.throttles.sum()) == (s.requests, s.cold_starts, s.throttles)
    assert sr.environments.max() <= s.peak_environments + 1e-9 and sr.busy.max() <= 4 + 1e-9
    # The latency quantiles from the histogram agree with the records' own (bucket width 0.23 %).
    response = np.array([(min(x.end, T) - x.start) + x.init_ms / 1000 for x in ran])
    for q, got in ((50, s.latency_p50_s), (90, s.latency_p90_s), (95, s.latency_p95_s), (99, s.latency_p99_s)):
        assert got == pytest.approx(np.percentile(response, q, method="inverted_cdf"), rel=5e-3), q


# -- hand-computed traces -------------------------------------------------------------------------

# Requests at these times; a cold request takes 2 s, a warm one 1 s; keep-alive 10 s.
#   t=0    env-1 cold, busy until 2
#   t=1    env-2 cold, busy until 3
#   t=2.5  only env-1 is idle (since 2): warm on env-1 until 3.5
#   t=4    both idle: env-2 since 3, env-1 since 3.5.  newest: env-2 (created last);
#          mru: env-1 (used last); lru: env-2 (idle longest)          -> busy until 5
#   t=6    newest: env-2 again; mru: env-1 again; lru: env-1 (idle since 3.5 vs 5)   -> until 7
#   t=14.5 newest: env-1 was reclaimed at 3.5 + 10 = 13.5, env-2 (free since 7) serves
#          mru:    env-2 was reclaimed at 3 + 10 = 13, env-1 (free since 7) serves
#          lru:    env-2 (free since 5, reclaimed only at 15) serves; env-1 is free since 7
TRACE = [0.0, 1.0, 2.5, 4.0, 6.0, 14.5]
EXPECTED = {
    "newest": (["env-1", "env-2", "env-1", "env-2", "env-2", "env-2"], {"env-1": 13.5, "env-2": 25.5}),
    "mru": (["env-1", "env-2", "env-1", "env-1", "env-1", "env-1"], {"env-2": 13.0, "env-1": 25.5}),
    "lru": (["env-1", "env-2", "env-1", "env-2", "env-1", "env-2"], {"env-1": 17.0, "env-2": 25.5}),
}


@pytest.mark.parametrize("placement", ["newest", "mru", "lru"])
def test_placement_hand_trace(placement):
    r = simulate(arrivals=Replay(TRACE), warm=Constant(1.0), cold=Constant(2.0), keep_alive=10.0,
                 duration=40.0, placement=placement, keep_records=True)
    envs, reclaimed = EXPECTED[placement]
    assert [x.environment_id for x in r.records] == envs
    assert [x.cold for x in r.records] == [True, True, False, False, False, False]
    assert [x.end for x in r.records] == [2.0, 3.0, 3.5, 5.0, 7.0, 15.5]
    got = {e.environment_id: e.time for e in r.environment_events if e.event == "reclaimed"}
    assert got == reclaimed
    s = r.summary
    assert s.cold_starts == 2 and s.requests == 6 and s.throttles == 0
    assert s.mean_environments * 40.0 == pytest.approx(sum(reclaimed.values()) - 1.0)  # env-2 born at 1
    assert s.mean_busy * 40.0 == pytest.approx(8.0)
    assert s.environment_lifetime_max_s == pytest.approx(max(reclaimed["env-1"], reclaimed["env-2"] - 1.0))
    assert s.latency_p50_s == pytest.approx(1.0, rel=0.002)  # the histogram's resolution


def test_random_placement_is_seeded_and_picks_an_idle_environment():
    runs = [simulate(arrivals=Replay([0.0, 0.1, 0.2, 0.3] + [5.0 + k for k in range(20)]), warm=Constant(0.5),
                     cold=Constant(1.0), keep_alive=100.0, duration=40.0, placement="random", seed=s,
                     keep_records=True) for s in (1, 1, 2)]
    ids = [[x.environment_id for x in r.records] for r in runs]
    assert ids[0] == ids[1]
    assert ids[0] != ids[2]  # another seed, other choices
    assert set(ids[0][4:]) <= {"env-1", "env-2", "env-3", "env-4"} and len(set(ids[0][4:])) > 1
    assert all(not x.cold for x in runs[0].records[4:])


def test_keep_alive_zero_and_first_request_cold():
    r = simulate(arrivals=Deterministic(interval=2.0), warm=Constant(1.0), cold=Constant(1.5), keep_alive=0.0,
                 duration=20.0, keep_records=True)
    assert r.summary.cold_starts == r.summary.requests == 10
    r = simulate(arrivals=Deterministic(interval=2.0), warm=Constant(1.0), cold=Constant(1.5), keep_alive=600.0,
                 duration=20.0, keep_records=True)
    assert [x.cold for x in r.records] == [True] + [False] * 9


# -- limits ---------------------------------------------------------------------------------------


def test_provisioned_concurrency_removes_cold_starts():
    kw = dict(arrivals=Poisson(2.0), warm=Exponential(1.0), cold=Exponential(3.0), keep_alive=5.0,
              duration=5000.0, seed=3)
    without = simulate(**kw).summary
    r = simulate(**kw, provisioned=20, keep_records=True)
    assert without.cold_starts > 100
    assert r.summary.cold_starts == 0
    assert r.summary.environments_created == 20
    assert {x.initialization_type for x in r.records} == {"provisioned-concurrency"}
    assert r.summary.mean_environments == pytest.approx(20.0)  # they are never reclaimed


def test_provisioned_spills_over_to_on_demand():
    r = simulate(arrivals=Replay([0.0, 0.0, 0.0]), warm=Constant(1.0), cold=Constant(2.0), provisioned=2,
                 duration=10.0, keep_records=True)
    assert [x.initialization_type for x in r.records] == ["provisioned-concurrency"] * 2 + ["on-demand"]
    assert [x.cold for x in r.records] == [False, False, True]


def test_reserved_concurrency_throttles_at_the_reservation():
    # 8 requests a second, each 1 s long: 2 run, 6 are throttled, every second.
    r = simulate(arrivals=Deterministic(interval=0.125), warm=Constant(1.0), cold=Constant(1.0), reserved=2,
                 max_concurrency=1000, duration=10.0)
    s = r.summary
    assert (s.requests, s.throttles) == (80, 60)
    assert s.throttle_reasons == {RESERVED_LIMIT.reason: 60}
    assert s.mean_busy == pytest.approx((10.0 + 9.875) / 10.0)  # the second starts at 0.125
    z = simulate(arrivals=Poisson(1.0), reserved=0, duration=100.0, seed=1).summary
    assert z.throttle_ratio == 1.0 and z.mean_environments == 0.0


def test_small_account_limit_works():
    s = simulate(arrivals=Poisson(5.0), warm=Exponential(1.0), max_concurrency=1, duration=1000.0, seed=2).summary
    assert s.peak_environments == 1 and s.throttles > 0
    assert s.throttle_reasons == {ACCOUNT_LIMIT.reason: s.throttles}


def test_scaling_rate_burst_then_100_per_second():
    """3,000 simultaneous requests: 1,000 new environments at once, then 100 a second."""
    times = [0.0] * 3000 + np.arange(0.5, 20.0, 0.001).tolist()
    r = simulate(arrivals=Replay(times), warm=Constant(1000.0), cold=Constant(1000.0), max_concurrency=10_000,
                 duration=20.0, keep_records=True)
    first = r.records[:3000]
    assert sum(x.cold for x in first) == 1000
    assert all(x.throttle_reason == SCALING_LIMIT.reason for x in first if not x.cold)
    starts = np.array([x.start for x in r.records if x.cold])
    for t in (0.0, 0.9, 1.0, 2.5, 7.0, 19.9):
        created = int(np.sum(starts <= t))
        assert created <= 1000 + 100 * t + 1e-9, (t, created)
        assert created >= 1000 + 100 * t - 1, (t, created)
    assert r.summary.environments_created == 1000 + 1999  # tokens refill at 100/s up to t < 20


# -- configuration --------------------------------------------------------------------------------


def test_init_plus_warm_convention():
    r = simulate(arrivals=Deterministic(interval=10.0), warm=Constant(1.0), init=Constant(0.5), keep_alive=0.0,
                 duration=100.0, keep_records=True)
    s = r.summary
    assert s.cold_starts == 10
    assert s.init_ms_total == pytest.approx(5000.0)
    assert {(x.init_ms, x.duration_ms, x.billed_ms) for x in r.records} == {(500.0, 1000.0, 1500)}
    assert s.latency_p50_s == pytest.approx(1.5, rel=0.002)
    with pytest.raises(ValueError, match="either cold= .* or init="):
        simulate(cold=Exponential(1.0), init=Constant(0.1))


def test_memory_scaling_and_billing():
    base = dict(arrivals=Deterministic(interval=10.0), warm=Constant(1.0), cold=Constant(1.0), duration=100.0)
    at_ref = simulate(**base, memory_mb=1769, duration_model=DurationModel()).summary
    half = simulate(**base, memory_mb=885, duration_model=DurationModel(cpu_bound_fraction=1.0)).summary
    assert at_ref.billed_ms_total == 10_000
    assert half.billed_ms_total == pytest.approx(10 * 1000 * 1769 / 885, abs=10)
    assert half.gb_seconds == pytest.approx(half.billed_ms_total / 1000 * 885 / 1024)
    plain = simulate(**base, memory_mb=512).summary  # no duration model: durations as given
    assert plain.billed_ms_total == 10_000 and plain.memory_mb == 512


def test_same_seed_same_result_and_common_random_numbers():
    a = simulate(duration=5000.0, seed=4).summary.to_dict()
    b = simulate(duration=5000.0, seed=4).summary.to_dict()
    a.pop("wall_seconds"), b.pop("wall_seconds")
    assert a == b
    n = {simulate(duration=5000.0, seed=4, placement=p).summary.requests for p in ("newest", "lru", "random")}
    assert len(n) == 1  # placement does not change the requests


def test_summary_fields_and_records_off_by_default():
    r = simulate(duration=100.0, seed=1)
    assert r.records is None and r.series is None
    d = r.summary.to_dict()
    for key in ("requests", "cold_starts", "throttles", "cold_start_ratio", "throttle_ratio", "mean_environments",
                "mean_busy", "mean_idle", "utilization", "billed_ms_total", "gb_seconds", "memory_mb",
                "architecture", "init_ms_total", "latency_p50_s", "latency_p90_s", "latency_p95_s",
                "latency_p99_s",
                "environment_lifetime_mean_s", "environment_lifetime_max_s", "wall_seconds", "duration"):
        assert key in d
    json.dumps(d, allow_nan=False)
    assert isinstance(r.summary, Summary)
    assert "SimulationResult(requests=" in repr(r)


BAD_SIM = [
    (dict(duration=0), "0 < duration < inf"),
    (dict(duration=float("inf")), "got inf"),
    (dict(keep_alive=-1), "0 <= keep_alive <= inf"),
    (dict(max_concurrency=0), "max_concurrency >= 1"),
    (dict(max_concurrency=2.5), "got 2.5"),
    (dict(memory_mb=64), "128 <= memory_mb <= 10240"),
    (dict(reserved=2000), "0 <= reserved <= 1000"),
    (dict(provisioned=5, reserved=2), "0 <= provisioned <= 2"),
    (dict(provisioned=-1), "0 <= provisioned <= 1000"),
    (dict(series_resolution=0), "0 < series_resolution"),
    (dict(duration=1e9, series_resolution=1.0), "at most 20,000,000 buckets"),
    (dict(placement="fifo"), "choose one of newest, mru, lru, random"),
    (dict(architecture="sparc"), "one of x86_64, arm64"),
    (dict(seed=-3), "seed >= 0"),
]


@pytest.mark.parametrize(("kwargs", "text"), BAD_SIM)
def test_simulate_validation(kwargs, text):
    with pytest.raises(ValueError, match=None) as info:  # noqa: PT011
        simulate(**kwargs)
    assert text in str(info.value)


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="arrival process"):
        simulate(arrivals="poisson")
    with pytest.raises(TypeError, match="duration distribution"):
        simulate(warm=2.0)


def test_memory_stays_flat_in_run_length():
    def peak(duration: float) -> int:
        tracemalloc.start()
        simulate(arrivals=Poisson(20.0), keep_alive=30.0, duration=duration, seed=1, series_resolution=60.0,
                 chunk_size=1024)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    peak(50.0)  # one-time allocations (caches) out of the way
    short, long = peak(500.0), peak(4000.0)  # 10,000 vs 80,000 requests
    assert long < 1.3 * short + 100_000, (short, long)


# -- the published measurements -------------------------------------------------------------------

REFERENCE = Path("/work/shared/reference/aws-lambda-experiments.json")


@pytest.mark.slow
@pytest.mark.skipif(not REFERENCE.exists(), reason="reference data not available")
@pytest.mark.parametrize("name", ["experiment_0", "experiment_4"])
def test_simfaas_sanity(name):
    ref = json.loads(REFERENCE.read_text())
    row = next(r for r in ref["rows"] if r["name"] == name)
    p = ref["summary"]
    s = simulate(arrivals=Poisson(row["arrival_rate"]), warm=Exponential(p["warm_mean_s_used"]),
                 cold=Exponential(p["cold_mean_s_used"]), keep_alive=p["expiration"], duration=p["max_time"],
                 seed=2024, placement="newest").summary
    assert s.cold_start_ratio == pytest.approx(row["simfaas_prob_cold"], rel=0.15)
    assert s.mean_environments == pytest.approx(row["simfaas_inst_count_avg"], rel=0.03)
    assert s.utilization == pytest.approx(row["simfaas_utilization"], rel=0.1)


def test_progress_reports_simulated_time_up_to_the_end():
    reached: list[float] = []
    r = simulate(arrivals=Poisson(5.0), duration=100_000.0, seed=2, chunk_size=10_000, progress=reached.append)
    assert len(reached) >= r.summary.requests // 10_000  # once per chunk, then the end
    assert reached == sorted(reached) and reached[-1] == 100_000.0 and reached[0] < 100_000.0
