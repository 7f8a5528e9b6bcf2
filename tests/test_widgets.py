"""Widgets without a browser: set a control, read the summary and the model result."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from minilambda import widgets as W  # noqa: E402


def test_longer_keep_alive_lowers_the_cold_start_ratio():
    short = W.explore_cold_starts(keep_alive=0)
    long = W.explore_cold_starts(keep_alive=600)
    assert long.cold_start_ratio < short.cold_start_ratio
    assert long.environments_created < short.environments_created


def test_provisioned_concurrency_removes_cold_starts_and_costs_money():
    none = W.explore_cold_starts(rate=0.3, keep_alive=0)
    some = W.explore_cold_starts(rate=0.3, keep_alive=0, provisioned=5)
    assert some.cold_starts < none.cold_starts
    assert some.cost_usd > none.cost_usd


def test_cold_start_timeline_covers_every_environment():
    r = W.explore_cold_starts(keep_alive=60)
    assert len(r.timeline) == r.environments_created
    kinds = {k for _env, segs in r.timeline for *_t, k in segs}
    assert {"cold", "idle"} <= kinds


def test_cold_start_explorer_updates_its_summary():
    box = W.cold_start_explorer(keep_alive=0)
    before = box.result.cold_start_ratio
    box.controls["keep_alive"].value = 600
    assert box.result.cold_start_ratio < before
    assert f"{box.result.cold_start_ratio:.1%}" in box.summary.value
    assert box.redraw_ms < 1000


def test_reserved_concurrency_throttles_a_burst():
    box = W.concurrency_explorer()
    assert box.result.throttles == 0
    box.controls["reserved"].value = 300
    assert box.result.throttles > 0 and box.result.peak_concurrency <= 300
    assert "ReservedFunctionConcurrentInvocationLimitExceeded" in box.summary.value


def test_raising_memory_changes_the_bill():
    box = W.cost_explorer()
    before = box.result.total_usd
    box.controls["memory"].value = 1024
    assert box.result.total_usd > before
    box.controls["architecture"].value = "arm64"
    assert "arm64" in box.result.table


def test_free_tier_lowers_the_bill():
    assert W.explore_cost(free_tier=True).total_usd < W.explore_cost(free_tier=False).total_usd


def test_power_tuning_cpu_bound_cheapest_is_one_vcpu():
    box = W.power_tuning_explorer()
    assert box.result.cheapest.memory_mb == 1769
    box.controls["non_cpu_fraction"].value = 1.0  # pure waiting: the smallest size is cheapest
    assert box.result.cheapest.memory_mb == 128
    assert "cheapest: 128 MB" in box.summary.value


def test_break_even_flips_the_cheaper_option():
    box = W.server_vs_serverless()
    assert box.result.cheaper == "lambda"
    box.controls["requests_per_second"].value = 200
    assert box.result.cheaper == "server"


@pytest.mark.parametrize("source", W.EVENT_SOURCES)
def test_make_event_is_deterministic(source):
    assert W.make_event(source, seed=3) == W.make_event(source, seed=3)


def test_failure_paths_find_where_each_event_ended():
    from types import SimpleNamespace as R

    recs = [R(time=0, request_id="a", step="accepted"), R(time=0, request_id="a", step="attempt"),
            R(time=0, request_id="a", step="success"),
            R(time=0, request_id="b", step="attempt"), R(time=60, request_id="b", step="attempt"),
            R(time=180, request_id="b", step="attempt"), R(time=180, request_id="b", step="dead-letter"),
            R(time=5, request_id="c", step="attempt"), R(time=5, request_id="c", step="retry-scheduled")]
    p = W.failure_paths(recs)
    assert p.finals == {"success": 1, "dlq": 1, "retrying": 1}
    box = W.failure_path_timeline(recs)
    assert "dlq" in box.summary.value


@pytest.mark.process
def test_event_explorer_invokes_a_real_function():
    from minilambda import Cloud

    with Cloud(clock="virtual", start=1_767_225_600, seed=1) as cloud:
        box = W.event_explorer(cloud)
        assert box.result["status"] == 200
        box.controls["source"].value = "SQS"
        assert box.result["event"]["Records"][0]["eventSource"] == "aws:sqs"
        assert any(line.startswith("REPORT") for line in box.result["log"])


@pytest.mark.process
def test_event_explorer_survives_the_notebooks_cloud_closing():
    from minilambda import Cloud

    cloud = Cloud(clock="virtual", start=1_767_225_600, seed=1)
    box = W.event_explorer(cloud)
    cloud.close()
    box.controls["source"].value = "S3"  # the notebook's last cell closed the Cloud; the explorer goes on
    assert box.result["event"]["Records"][0]["eventSource"] == "aws:s3"
    assert "closed" in box.summary.value and "private Cloud" in box.summary.value


@pytest.mark.process
def test_event_explorer_owns_a_cloud_when_given_none():
    box = W.event_explorer()
    box.controls["source"].value = "SNS"
    assert box.result["status"] == 200 and "Records" in box.result["event"]


def test_cold_start_summary_shows_the_mean_environments_alive():
    box = W.cold_start_explorer(rate=5)
    assert f"{box.result.mean_environments:.1f} alive on average" in box.summary.value
    box.controls["placement"].value = "lru"
    assert f"{box.result.mean_environments:.1f} alive on average" in box.summary.value


def test_cost_explorer_has_init_and_cold_start_controls():
    box = W.cost_explorer()
    assert {"cold_start_ratio", "init_ms"} <= set(box.controls)
    before = box.result.total_usd
    box.controls["init_ms"].value = 3000
    assert box.result.total_usd > before and "init" in box.result.by_category
    box.controls["cold_start_ratio"].value = 0.0
    assert "init" not in box.result.by_category or box.result.by_category["init"] == 0


def test_power_tuning_explains_a_flat_curve():
    box = W.power_tuning_explorer()
    assert "Flat curve" in box.summary.value and "rounded up to a whole millisecond" in box.summary.value
    box.controls["non_cpu_fraction"].value = 1.0
    assert "Flat curve" not in box.summary.value


def test_importing_the_widgets_does_not_import_ipywidgets():
    import subprocess
    import sys

    code = "import sys, minilambda.widgets as w; w.explore_cold_starts(); print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
