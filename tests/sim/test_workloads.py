"""Workload objects: validation messages, constructor-form reprs, means, generation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minilambda.sim import (Bursty, Constant, Deterministic, Diurnal, DurationModel, Empirical, Exponential,
                            LogNormal, Poisson, Replay, scale_for_memory)

ROUND_TRIP = [
    Exponential(mean=2.0), Exponential(rate=4.0), Constant(0.25), Constant(0), LogNormal(mu=0.1, sigma=0.5),
    Poisson(rate=0.9), Deterministic(interval=2.0), Deterministic(interval=0.5, start=1.0),
    Bursty(rate=10.0, on=5.0, off=55.0), Bursty(rate=10.0, on=5.0, off=55.0, off_rate=0.5, random_periods=False),
    Diurnal(mean_rate=5.0, amplitude=0.8, peak_hour=14.0), Diurnal(hourly=[1.0, 2.0, 3.0]),
    DurationModel(ref_memory_mb=1024, cpu_bound_fraction=0.5),
]


@pytest.mark.parametrize("obj", ROUND_TRIP, ids=repr)
def test_repr_is_the_constructor_call(obj):
    assert eval(repr(obj)) == obj  # noqa: S307 - our own reprs


def test_reprs_read_as_written():
    assert repr(Exponential(mean=2.0)) == "Exponential(mean=2.0)"
    assert repr(Exponential(rate=4.0)) == "Exponential(mean=0.25)"
    assert repr(Poisson(0.9)) == "Poisson(rate=0.9)"
    assert repr(Empirical([1, 2])) == "Empirical([1.0, 2.0])"
    assert repr(Replay([3.0, 1.0])) == "Replay([1.0, 3.0])"
    assert "(10 values)" in repr(Empirical(range(10)))


BAD = [
    (lambda: Exponential(mean=0), ["mean", "0 < mean < inf", "got 0"]),
    (lambda: Exponential(mean=-1.5), ["got -1.5"]),
    (lambda: Exponential(rate=float("inf")), ["rate", "got inf"]),
    (lambda: Exponential(), ["exactly one of mean= (seconds) or rate="]),
    (lambda: Exponential(mean="x"), ["got 'x'"]),
    (lambda: Constant(-1), ["Constant value", "0 <= value < inf", "got -1"]),
    (lambda: LogNormal(mu=float("nan"), sigma=1), ["mu", "got nan"]),
    (lambda: LogNormal(mu=0, sigma=-1), ["sigma", "0 <= sigma < inf", "got -1"]),
    (lambda: Empirical([]), ["at least one"]),
    (lambda: Empirical([1, -2]), ["0 <= value < inf", "-2.0", "position 1"]),
    (lambda: Poisson(0), ["Poisson rate", "0 < rate < inf", "got 0"]),
    (lambda: Poisson(True), ["got True"]),
    (lambda: Deterministic(interval=-1), ["interval", "0 < interval < inf", "got -1"]),
    (lambda: Bursty(rate=1, on=0, off=1), ["Bursty on", "0 < on < inf", "got 0"]),
    (lambda: Bursty(rate=1, on=1, off=1, off_rate=-1), ["off_rate", "0 <= off_rate"]),
    (lambda: Diurnal(mean_rate=1, amplitude=2), ["amplitude", "0 <= amplitude <= 1", "got 2"]),
    (lambda: Diurnal(mean_rate=1, peak_hour=24), ["peak_hour", "0 <= peak_hour < 24", "got 24"]),
    (lambda: Diurnal(hourly=[0, 0]), ["at least one rate > 0"]),
    (lambda: Replay([-1.0, 2.0]), [">= 0 seconds", "-1.0", "relative=True"]),
    (lambda: Replay([]), ["at least one timestamp"]),
    (lambda: DurationModel(cpu_bound_fraction=1.5), ["0 <= cpu_bound_fraction <= 1", "got 1.5"]),
    (lambda: scale_for_memory(1.0, 64), ["128 <= memory_mb <= 10240", "got 64"]),
]


@pytest.mark.parametrize(("make", "parts"), BAD)
def test_validation_names_the_value_and_the_range(make, parts):
    with pytest.raises(ValueError) as info:  # noqa: PT011
        make()
    for part in parts:
        assert part in str(info.value)


def test_distribution_means_and_samples():
    rng = np.random.default_rng(7)
    for dist in (Exponential(mean=2.0), Constant(0.5), LogNormal.from_mean_cv(3.0, 0.5), Empirical([1, 2, 6])):
        x = dist.sample(rng, 200_000)
        assert x.shape == (200_000,)
        assert x.mean() == pytest.approx(dist.mean, rel=0.02)
        assert isinstance(float(dist.sample(rng)), float)
    ln = LogNormal.from_mean_cv(3.0, 0.5)
    assert ln.mean == pytest.approx(3.0)
    assert ln.sample(rng, 200_000).std() / 3.0 == pytest.approx(0.5, rel=0.05)


def test_poisson_and_deterministic_times():
    rng = np.random.default_rng(1)
    t = Poisson(5.0).times(rng, 10_000.0)
    assert t.size == pytest.approx(50_000, rel=0.02)
    assert np.all(np.diff(t) >= 0) and t[-1] < 10_000.0 and t[0] >= 0
    # Chunks join up into the same stream whatever their size.
    a = np.concatenate(list(Poisson(5.0).chunks(np.random.default_rng(3), 1000.0, size=100)))
    assert np.all(np.diff(a) >= 0) and a[-1] < 1000.0
    d = Deterministic(interval=0.25, start=1.0).times(rng, 3.0)
    assert d.tolist() == [1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75]
    assert Deterministic(interval=0.25).mean == 4.0


def test_bursty_rate_and_on_off_shape():
    b = Bursty(rate=20.0, on=10.0, off=30.0, random_periods=False)
    assert b.mean == pytest.approx(5.0)
    t = b.times(np.random.default_rng(2), 4000.0)
    assert t.size / 4000.0 == pytest.approx(5.0, rel=0.05)
    phase = t % 40.0
    assert np.all(phase < 10.0)  # nothing arrives in "off" periods
    r = Bursty(rate=20.0, on=10.0, off=30.0).times(np.random.default_rng(3), 200_000.0)
    assert r.size / 200_000.0 == pytest.approx(5.0, rel=0.1)


def test_diurnal_thinning_follows_the_curve():
    d = Diurnal(mean_rate=10.0, amplitude=0.8, peak_hour=12.0)
    t = d.times(np.random.default_rng(4), 86400.0 * 3)
    assert t.size / (86400.0 * 3) == pytest.approx(10.0, rel=0.02)
    hours = (t % 86400.0) // 3600
    peak = np.sum(hours == 12) / 3
    trough = np.sum(hours == 0) / 3
    assert peak / 3600 == pytest.approx(18.0, rel=0.05)  # 10 * (1 + 0.8) near the peak
    assert trough / 3600 == pytest.approx(2.0, rel=0.15)
    h = Diurnal(hourly=[0.0] * 12 + [4.0] * 12)
    th = h.times(np.random.default_rng(5), 86400.0)
    assert np.all(th % 86400.0 > 11 * 3600)  # rate 0 until 11:00, ramping to 4 by 12:00


def test_replay_from_csv_with_header_and_iso_times(tmp_path):
    p = tmp_path / "trace.csv"
    p.write_text("timestamp,path\n2025-01-01T00:00:10Z,/a\n2025-01-01T00:00:00Z,/b\n2025-01-01T00:00:02.5Z,/c\n")
    r = Replay(p, column="timestamp", relative=True)
    assert r.timestamps.tolist() == [0.0, 2.5, 10.0]
    assert repr(r) == f"Replay({str(p)!r}, column='timestamp', relative=True)"
    assert r.times(np.random.default_rng(0), 5.0).tolist() == [0.0, 2.5]
    q = tmp_path / "secs.csv"
    q.write_text("0.5\n1.5\n\n3\n")
    assert Replay(q).timestamps.tolist() == [0.5, 1.5, 3.0]
    with pytest.raises(ValueError, match="no column 'when'; its columns are timestamp, path"):
        Replay(p, column="when")
    with pytest.raises(ValueError, match="could not open"):
        Replay(tmp_path / "missing.csv")


def test_scale_for_memory():
    assert scale_for_memory(1.0, 1769) == 1.0
    assert scale_for_memory(1.0, 884.5) == pytest.approx(2.0)
    assert scale_for_memory(1.0, 3538) == 1.0  # single-threaded: no faster beyond one vCPU
    assert scale_for_memory(2.0, 128, ref_memory=256) == pytest.approx(4.0)
    assert scale_for_memory(1.0, 128, cpu_bound_fraction=0.0) == 1.0
    assert scale_for_memory(1.0, 884.5, cpu_bound_fraction=0.5) == pytest.approx(1.5)
    assert DurationModel().factor(128) == pytest.approx(1769 / 128)
    assert math.isfinite(DurationModel(ref_memory_mb=10240).factor(10240))
