"""The explorers of modules 07 (APIs) and 08 (mobile backend) without a browser."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("minilambda.apigateway.throttling", reason="needs the API Gateway simulator")

from minilambda import widgets as A  # noqa: E402
from minilambda.widgets import diagrams as D  # noqa: E402

Mo = A

pytestmark = pytest.mark.timeout(120)


def test_a_spike_beyond_the_burst_is_too_many_requests():
    """No steady traffic, 20 requests at once against burst 10: exactly 10 get 429 Too Many Requests."""
    r = A.explore_usage_plan(rate=5, burst=10, quota=500, client_rps=0, spike=20)
    assert (r.requests, r.ok, r.too_many, r.limit_exceeded) == (20, 10, 10, 0)


def test_quota_refusals_are_limit_exceeded_and_come_last():
    r = A.explore_usage_plan(rate=20, burst=50, quota=30, client_rps=2, spike=0, seconds=60)
    assert r.ok == 30 and r.too_many == 0 and r.limit_exceeded == r.requests - 30
    first_refused = int(np.argmin(r.admitted))
    assert r.over_quota[first_refused:].all()


def test_steady_traffic_under_the_rate_is_never_throttled():
    r = A.explore_usage_plan(rate=10, burst=5, quota=10_000, client_rps=1, spike=0)
    assert r.too_many == 0 and r.ok == r.requests > 0


def test_usage_plan_rejects_nonsense_with_a_sentence():
    with pytest.raises(ValueError, match="need rate > 0"):
        A.explore_usage_plan(rate=0)


def test_usage_plan_explorer_updates_its_summary():
    box = A.usage_plan_explorer()
    box.controls["quota"].value = 0
    assert box.result.ok == 0 and "Limit Exceeded" in box.summary.value
    box.controls["quota"].value = 500
    box.controls["burst"].value = 50
    assert box.result.too_many < box.result.requests


def test_mobile_load_scales_and_prices_per_1000_users():
    small = Mo.explore_mobile_load(daily_users=500)
    big = Mo.explore_mobile_load(daily_users=4000)
    assert big.requests > 6 * small.requests
    assert big.peak_concurrency >= small.peak_concurrency
    assert big.cold_start_ratio < small.cold_start_ratio  # more traffic keeps environments warm
    api = big.monthly_usd_per_1000["API Gateway (HTTP)"]
    # 3 sessions x 4 requests x 30 days x 1,000 users at $1.00 per million, within Poisson noise
    assert api == pytest.approx(12 * 30 * 1000 / 1e6, rel=0.05)
    assert small.monthly_usd_per_1000["Cognito"] == 0.0  # 1,500 MAU: inside the free 10,000
    assert Mo.explore_mobile_load(daily_users=5000).monthly_usd_per_1000["Cognito"] > 0


def test_mobile_load_rejects_no_users():
    with pytest.raises(ValueError, match="at least 1 daily user"):
        Mo.explore_mobile_load(daily_users=0)


def test_mobile_explorer_and_plots_have_labels():
    box = Mo.mobile_load_explorer(daily_users=300)
    box.controls["memory"].value = 1024
    assert "per month per 1,000 daily users" in box.summary.value
    for fig in (A.draw_usage_plan(A.explore_usage_plan()), Mo.draw_mobile_load(box.result)):
        assert all(ax.get_ylabel() for ax in fig.axes)  # twin axes share the x label
        assert fig.axes[0].get_xlabel()
    for fig in (D.request_path_diagram(), D.notes_architecture_diagram()):
        assert fig.axes[0].get_title()
