"""The ``cost`` command: JSON shape and one-line errors."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from minilambda.billing import command


def run_cost(argv, capsys):
    parser = argparse.ArgumentParser(prog="python -m minilambda")
    command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["cost", *argv])
    code = args.run(args)
    out, err = capsys.readouterr()
    return code, out, err


BASE = ["--requests", "1000000", "--duration-ms", "100", "--memory", "512", "--architecture", "x86_64"]


def test_json_shape(capsys):
    code, out, err = run_cost([*BASE, "--json"], capsys)
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["total_usd"] == pytest.approx(1.033335)
    assert data["total_usd_exact"] == "1.033335"
    assert data["line_items"]
    for li in data["line_items"]:
        assert {"item", "quantity", "unit", "unit_price_usd", "cost_usd"} <= set(li)
    a = data["assumptions"]
    assert a["memory_mb"] == 512 and a["architecture"] == "x86_64" and a["free_tier"] is False
    assert a["region"] == "us-east-1"


def test_table_output(capsys):
    code, out, _ = run_cost(BASE, capsys)
    assert code == 0
    assert "$1.03" in out and "Compute x86_64, tier 1" in out


def test_options(capsys):
    code, out, _ = run_cost(["--requests", "3000000", "--duration-ms", "1000", "--memory", "512",
                             "--free-tier", "--json"], capsys)
    assert code == 0 and json.loads(out)["total_usd"] == pytest.approx(18.73337)
    code, out, _ = run_cost([*BASE, "--init-ms", "250.5", "--cold-start-ratio", "0.01",
                             "--ephemeral-storage", "1024", "--json"], capsys)
    items = {li["item"] for li in json.loads(out)["line_items"]}
    assert {"INIT x86_64, tier 1", "Ephemeral storage"} <= items
    code, out, _ = run_cost([*BASE, "--init-ms", "250", "--cold-start-ratio", "0.01",
                             "--no-init-billing", "--json"], capsys)
    assert "INIT x86_64, tier 1" not in {li["item"] for li in json.loads(out)["line_items"]}
    code, out, _ = run_cost(["--requests", "1000", "--duration-ms", "0.1", "--json"], capsys)
    assert json.loads(out)["assumptions"]["billed_ms_per_invocation"] == 1
    code, out, _ = run_cost([*BASE, "--api", "http", "--request-kb", "1024", "--json"], capsys)
    api = [li for li in json.loads(out)["line_items"] if li["item"].startswith("API Gateway")]
    assert api[0]["quantity"] == 2_000_000 and api[0]["cost_usd"] == pytest.approx(2.0)
    code, out, _ = run_cost([*BASE, "--provisioned-concurrency", "2", "--provisioned-hours", "1", "--json"],
                            capsys)
    items = {li["item"]: li for li in json.loads(out)["line_items"]}
    assert items["Provisioned concurrency x86_64"]["quantity"] == 3600  # 2 x 0.5 GB x 3,600 s


@pytest.mark.parametrize("option, value, words", [
    ("--requests", "-5", "at least 0"),
    ("--requests", "lots", "whole number"),
    ("--memory", "64", "128 to 10,240 MB"),
    ("--memory", "10241", "128 to 10,240 MB"),
    ("--architecture", "mips", "x86_64, arm64"),
    ("--region", "mars-north-1", "us-east-1"),
    ("--ephemeral-storage", "100", "512 to 10,240 MB"),
    ("--ephemeral-storage", "20000", "512 to 10,240 MB"),
    ("--duration-ms", "-1", "at least 0"),
    ("--cold-start-ratio", "2", "0 to 1"),
    ("--init-ms", "-3", "at least 0"),
])
def test_bad_input_is_one_line(capsys, option, value, words):
    argv = list(BASE)
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]
    code, out, err = run_cost(argv, capsys)
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1, err
    assert option in err and words in err
    assert "Traceback" not in err


@pytest.mark.skipif(importlib.util.find_spec("minilambda.sim") is None
                    or importlib.util.find_spec("minilambda.sim.command") is None,
                    reason="minilambda.sim.command is not written yet (cli.py imports it)")
def test_python_dash_m_minilambda_cost():
    env = dict(os.environ)
    ok = subprocess.run([sys.executable, "-m", "minilambda", "cost", *BASE, "--json"],
                        capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["total_usd"] == pytest.approx(1.033335)
    bad = subprocess.run([sys.executable, "-m", "minilambda", "cost", *BASE[:4], "--memory", "64"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode != 0
    assert bad.stderr.count("\n") == 1 and "128 to 10,240 MB" in bad.stderr
