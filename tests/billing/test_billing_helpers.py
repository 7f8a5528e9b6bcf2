"""Power tuning and serverless-versus-server, against hand computations."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from minilambda.billing import break_even, duration_at, power_tuning, server_comparison, vcpu_share

X86 = D("0.0000166667")
REQ = D("0.0000002")


def test_cpu_share_is_proportional_to_memory():
    assert vcpu_share(1769) == 1
    assert vcpu_share(3538) == 2
    assert vcpu_share(10240) == pytest.approx(5.79, abs=0.01)


def test_duration_model():
    assert duration_at(1769, 1000) == 1000
    assert duration_at(3538, 1000) == 1000  # one thread cannot use the second vCPU
    assert duration_at(3538, 1000, threads=2) == 500
    # half of it waits on the network: 500 ms that no CPU shortens
    assert duration_at(3538, 1000, non_cpu_fraction=0.5, threads=2) == 750
    assert duration_at(884.5, 1000) == 2000


def test_power_tuning_single_threaded_cpu_bound():
    result = power_tuning(1000, memory_sizes=(128, 1024, 1769, 3008), requests=1000)
    rows = {r.memory_mb: r for r in result.rows}
    assert rows[1769].billed_ms == 1000
    assert rows[3008].billed_ms == 1000  # no faster than one vCPU
    assert result.fastest.memory_mb == 1769  # fastest, and cheaper than 3,008 MB
    # cost at 1,769 MB: 1,000 x (REQ + 1 s x 1769/1024 GB x X86)
    assert rows[1769].cost_usd == 1000 * REQ + 1000 * D(1769) / 1024 * X86
    assert rows[3008].cost_usd > rows[1769].cost_usd
    assert result.cheapest.memory_mb in (128, 1024, 1769)
    assert "cheapest" in str(result) and "fastest" in str(result)


def test_power_tuning_io_bound_prefers_small_memory():
    result = power_tuning(1000, non_cpu_fraction=0.9)
    assert result.cheapest.memory_mb == 128 or result.cheapest.cost_usd <= result.rows[0].cost_usd
    assert result.fastest.memory_mb == 1769


def test_power_tuning_multithreaded_fastest_at_the_top():
    result = power_tuning(6000, threads=6)
    assert result.fastest.memory_mb == 10240
    assert result.to_dict()["fastest"]["memory_mb"] == 10240


def test_break_even_rate():
    # 100 ms at 1 GB: REQ + 0.1 GB-s x X86 = $0.00000186667 a request; $0.10 an hour
    c = REQ + D("0.1") * X86
    rate = break_even(100, 1024, instance_hourly_usd=0.10, instance_capacity_rps=100)
    assert rate == pytest.approx(float(D("0.10") / (c * 3600)))
    assert rate == pytest.approx(14.88, abs=0.01)
    # with two instances minimum, twice the rate
    assert break_even(100, 1024, instance_hourly_usd=0.10, instance_capacity_rps=100,
                      min_instances=2) == pytest.approx(2 * rate)
    # if one instance cannot serve that many, Lambda is cheaper at every rate
    assert break_even(100, 1024, instance_hourly_usd=0.10, instance_capacity_rps=10) is None


def test_server_comparison():
    cmp = server_comparison(20, 100, 1024, instance_hourly_usd=0.10, instance_capacity_rps=15)
    assert cmp.monthly_requests == 20 * 3600 * 730
    assert cmp.instances == 2
    assert cmp.server_usd == D("146.0")  # 2 x $0.10 x 730 h
    assert cmp.lambda_usd == cmp.monthly_requests * (REQ + D("0.1") * X86)
    assert cmp.cheaper == "lambda"
    low = server_comparison(1, 100, 1024, instance_hourly_usd=0.10, instance_capacity_rps=100)
    assert low.cheaper == "lambda"
    high = server_comparison(50, 100, 1024, instance_hourly_usd=0.10, instance_capacity_rps=100)
    assert high.cheaper == "server"
    assert "break-even" in str(high)
