"""The explorers of modules 01, 02 and 09 (minilambda.widgets) without a browser: models, plots, and widget wiring."""

import json

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from minilambda import Cloud, zip_files  # noqa: E402
from minilambda import widgets as M  # noqa: E402
from minilambda.widgets import diagrams as D  # noqa: E402

R = S = M  # modules 09 and 02 (the explorers are all reachable as minilambda.widgets.<name>)

pytestmark = pytest.mark.timeout(120)
ROLE = "arn:aws:iam::123456789012:role/lambda-role"


# -- module 01 ---------------------------------------------------------------------------------


def test_a_spike_costs_the_monolith_more_than_the_services():
    """The monolith bills every request at its largest memory, so a browse spike costs it more."""
    r = M.explore_spike("browse", 10, 2)
    assert r.monolith_total > r.services_total
    assert r.monolith_usd["search"] == pytest.approx(r.services_usd["search"])  # search already runs at 1,024 MB
    assert r.monolith_peak_memory_gb > r.services_peak_memory_gb
    assert r.requests["browse"] == round(20 * (86_400 + 9 * 7200))


def test_no_spike_means_no_extra_requests():
    r = M.explore_spike("cart", 1, 5)
    assert r.requests["cart"] == round(3 * 86_400)


def test_spike_rejects_unknown_feature_with_a_sentence():
    with pytest.raises(ValueError, match="no feature named 'login'"):
        M.explore_spike("login")


def test_blast_radius_is_contained_by_services_and_absorbed_by_a_queue():
    r = M.explore_blast_radius(outage_minutes=10, timeout_s=10, concurrency_limit=40, checkout_rps=5)
    assert r.failed["monolith"]["browse"] > 0  # throttled because checkout holds the environments
    assert r.failed["services"]["browse"] == 0 and r.failed["services"]["checkout"] == 3000
    assert r.failed_total("services + queue") == 0 and r.delayed_orders == 3000


def test_a_large_enough_limit_keeps_the_monolith_from_throttling():
    r = M.explore_blast_radius(concurrency_limit=500)
    assert r.failed["monolith"]["browse"] == 0


def test_synchronous_chains_bill_quadratically():
    r = M.explore_chain(hops=4, hop_ms=50, overhead_ms=0)
    assert r.billed_ms_sync[3] == pytest.approx(50 * (1 + 2 + 3 + 4))
    assert r.billed_ms_async[3] == pytest.approx(200)
    assert r.usd_per_million_sync[3] > r.usd_per_million_async[3]
    assert r.usd_per_million_sync[0] == pytest.approx(r.usd_per_million_async[0])


def test_microservice_explorers_update_their_summary():
    box = M.spike_explorer()
    before = box.result.monolith_total
    box.controls["spike_factor"].value = 40
    assert box.result.monolith_total > before
    assert f"{box.result.monolith_peak_concurrency:,.0f}" in box.summary.value
    chain = M.chain_explorer()
    chain.controls["hops"].value = 6
    assert "6 hops" in chain.summary.value
    blast = M.blast_radius_explorer()
    blast.controls["outage_minutes"].value = 0
    assert blast.result.failed_total("monolith") == 0


def test_module_01_plots_have_titles_and_labels():
    for fig in (M.draw_spike(M.explore_spike()), M.draw_blast_radius(M.explore_blast_radius()),
                M.draw_chain(M.explore_chain())):
        for ax in fig.axes:
            assert ax.get_title() and ax.get_ylabel()
    assert len(D.shop_diagram().axes) == 2


# -- module 02 ---------------------------------------------------------------------------------


def test_a_quiet_night_scales_to_zero():
    r = S.explore_daily_traffic(peak_rps=2, night_rps=0, keep_alive=600, seed=1)
    assert r.hours_at_zero >= 3
    assert r.cold_starts > 0
    assert r.environments.shape == r.hours.shape == (144,)


def test_night_traffic_keeps_environments_alive():
    quiet = S.explore_daily_traffic(peak_rps=2, night_rps=0, seed=1)
    busy = S.explore_daily_traffic(peak_rps=2, night_rps=0.5, seed=1)
    assert busy.hours_at_zero < quiet.hours_at_zero


def test_longer_keep_alive_means_fewer_cold_starts():
    short = S.explore_daily_traffic(keep_alive=30, seed=3)
    long = S.explore_daily_traffic(keep_alive=1800, seed=3)
    assert long.cold_starts < short.cold_starts


def test_daily_traffic_is_reproducible_and_validated():
    assert S.explore_daily_traffic(seed=4).requests == S.explore_daily_traffic(seed=4).requests
    with pytest.raises(ValueError, match="night_rps <= peak_rps"):
        S.explore_daily_traffic(peak_rps=1, night_rps=2)


def test_servers_are_sized_for_the_peak():
    r = S.explore_daily_traffic(peak_rps=20, server_rps=5, min_servers=2)
    assert r.servers == 4 and r.server_usd == pytest.approx(4 * 0.0416 * 24)


@pytest.mark.process
def test_every_runnable_offering_runs_its_demo_twice():
    with Cloud(clock="virtual", start=1_767_225_600, seed=1) as cloud:
        for o in S.OFFERINGS:
            first = S.run_offering_demo(cloud, o.name)
            assert (o.url in first) != o.runnable
            assert S.run_offering_demo(cloud, o.name)  # re-runnable
        box = S.offerings_map(cloud)
        box.controls["service"].value = "Amazon SNS"
        box.run()
        assert "new order" in box.summary.value
        box.controls["service"].value = "AWS Fargate"
        assert "not simulated" in box.summary.value
    with pytest.raises(ValueError, match="unknown offering"):
        S.run_offering_demo(None, "Amazon Redshift")


def test_module_02_plots():
    assert S.draw_daily_traffic(S.explore_daily_traffic()).axes[0].get_xlabel() == "hour of the day (h)"
    assert D.offerings_diagram().axes[0].get_title()


# -- module 09 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "fmt", "accepted", "sent"), [
    ("v1", "(not given)", True, b'{"k": 1}'),
    ("v1", "raw-in-base64-out", False, b""),
    ("v2", "(not given)", False, b""),
    ("v2", "raw-in-base64-out", True, b'{"k": 1}'),
    ("v2", "base64", False, b""),
])
def test_cli_payload_rules(version, fmt, accepted, sent):
    out = R.cli_payload(version, fmt, '{"k": 1}')
    assert (out.accepted, out.sent) == (accepted, sent)


def test_cli_v2_decodes_base64_payloads():
    assert R.cli_payload("v2", "base64", "eyJrIjogMX0=").sent == b'{"k": 1}'
    box = R.cli_payload_explorer()
    box.controls["version"].value = "v2"
    box.controls["binary_format"].value = "(not given)"
    assert "Invalid base64" in box.summary.value


@pytest.mark.process
def test_the_stdlib_bootstrap_is_a_working_custom_runtime():
    with Cloud(clock="virtual", start=1_767_225_600, seed=1) as cloud:
        lam = cloud.client("lambda")
        app = "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('bad')\n    return event\n"
        lam.create_function(FunctionName="custom", Runtime="provided.al2023", Handler="app.handler", Role=ROLE,
                            Code={"ZipFile": zip_files({"bootstrap": R.python_bootstrap(), "app.py": app})})
        assert json.loads(lam.invoke(FunctionName="custom", Payload=b'{"a": 1}')["Payload"].read()) == {"a": 1}
        failed = lam.invoke(FunctionName="custom", Payload=b'{"fail": true}')
        assert failed["FunctionError"] == "Unhandled"
        assert json.loads(failed["Payload"].read())["errorType"] == "ValueError"
        assert [i.cold for i in cloud.invocations] == [True, False]


@pytest.mark.process
def test_awslambdaric_runs_from_a_layer():
    pytest.importorskip("awslambdaric")
    with Cloud(clock="virtual", start=1_767_225_600, seed=1) as cloud:
        lam = cloud.client("lambda")
        layer = lam.publish_layer_version(LayerName="ric", Content={"ZipFile": zip_files(R.ric_layer_files())})
        app = "import awslambdaric\ndef handler(event, context):\n    return [awslambdaric.__file__, context.function_name]\n"
        lam.create_function(FunctionName="ric", Runtime="provided.al2023", Handler="app.handler", Role=ROLE,
                            Code={"ZipFile": zip_files({"app.py": app})}, Layers=[layer["LayerVersionArn"]])
        where, name = json.loads(lam.invoke(FunctionName="ric", Payload=b"{}")["Payload"].read())
        assert "/python/awslambdaric/" in where and name == "ric"
        rows = R.explore_runtimes({"ric": cloud.invocations + [_warm(cloud.invocations[0])]})
        assert rows[0].cold_starts == 1 and rows[0].warm == 1


def _warm(inv):
    import dataclasses

    return dataclasses.replace(inv, cold=False)


def test_explore_runtimes_needs_cold_and_warm():
    with pytest.raises(ValueError, match="at least one cold and one warm"):
        R.explore_runtimes({"empty": []})


def test_generated_scripts_compile_and_zip_keeps_modes():
    import io
    import zipfile

    compile(R.python_bootstrap(), "bootstrap", "exec")
    compile(R.EXTENSION_SOURCE, "shop-logger", "exec")
    data = R.zip_with_modes({"extensions/x": "#!/bin/sh\n", "README": "hi"}, executables=["extensions/x"])
    modes = {i.filename: i.external_attr >> 16 & 0o777 for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    assert modes == {"extensions/x": 0o755, "README": 0o644}


def test_runtime_api_diagram_and_table():
    assert {path for _m, path, _w in R.RUNTIME_API} >= {"/runtime/invocation/next", "/runtime/init/error"}
    assert D.runtime_api_diagram().axes[0].get_title()
    rows = [R.RuntimeTiming("a", 100.0, 1.0, 1, 1)]
    assert R.draw_runtimes(rows).axes[0].get_ylabel().startswith("milliseconds")


@pytest.mark.process
def test_a_failing_import_is_reported_as_aws_does():
    with Cloud(clock="virtual", start=1_767_225_600, seed=1) as cloud:
        lam = cloud.client("lambda")
        lam.create_function(FunctionName="broken", Runtime="provided.al2023", Handler="app.handler", Role=ROLE,
                            Code={"ZipFile": zip_files({"bootstrap": R.python_bootstrap(), "app.py": "import nope\n"})})
        reply = lam.invoke(FunctionName="broken", Payload=b"{}")
        body = json.loads(reply["Payload"].read())
        assert reply["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError"
        assert body["errorMessage"].startswith("Unable to import module 'app'")


def test_offerings_map_says_visibly_when_its_cloud_is_closed():
    cloud = Cloud(clock="virtual", start=1_767_225_600, seed=1)
    box = S.offerings_map(cloud)
    cloud.close()
    box.controls["service"].value = "Amazon SQS"
    box.run()
    assert "The demo failed" in box.summary.value and box.result is None


def test_blast_radius_bars_are_labelled_even_at_zero():
    fig = M.draw_blast_radius(M.explore_blast_radius())
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("0") >= 4  # the queue's zero failures are written, not invisible


def test_every_public_name_is_reachable_from_the_widgets_package():
    import importlib

    assert all(hasattr(M, name) for name in M.__all__)
    assert all(hasattr(D, name) for name in D.__all__)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("minilambda.course_widgets")  # moved into minilambda.widgets
