"""``python -m minilambda simulate``: the JSON it prints, its table, and its one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from minilambda.sim.command import main

EXAMPLE = ["--arrival-rate", "0.9", "--warm-mean", "1.991", "--cold-mean", "2.244", "--keep-alive", "600",
           "--max-concurrency", "1000", "--duration", "2e4", "--seed", "1", "--placement", "newest"]
KEYS = {"requests", "cold_starts", "throttles", "cold_start_ratio", "throttle_ratio", "mean_environments",
        "mean_busy", "mean_idle", "utilization", "gb_seconds", "wall_seconds"}


def test_json_is_one_object_with_the_keys(capsys):
    assert main([*EXAMPLE, "--memory", "128", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    d = json.loads(out)
    assert KEYS <= d.keys()
    assert d["requests"] > 15_000 and d["throttles"] == 0 and d["memory_mb"] == 128
    assert 0 < d["cold_start_ratio"] < 0.02 and d["mean_environments"] > d["mean_busy"] > 0


def test_table_without_json(capsys):
    assert main(EXAMPLE) == 0
    out = capsys.readouterr().out
    for label in ("requests", "cold starts", "throttles", "mean environments", "utilization", "billed"):
        assert label in out
    assert not out.lstrip().startswith("{")


def test_small_account_limit(capsys):
    assert main(["--arrival-rate", "5", "--max-concurrency", "2", "--duration", "1000", "--seed", "3", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["throttles"] > 0 and d["mean_busy"] <= 2.0


@pytest.mark.parametrize(("argv", "text"), [
    (["--arrival-rate", "0"], "0 < arrival-rate < inf"),
    (["--arrival-rate", "fast"], "0 < arrival-rate < inf"),
    (["--warm-mean", "-1"], "0 < warm-mean < inf"),
    (["--keep-alive", "-5"], "0 <= keep-alive <= inf"),
    (["--max-concurrency", "0"], "1 <= max-concurrency"),
    (["--max-concurrency", "2.5"], "whole number"),
    (["--duration", "nan"], "0 < duration < inf"),
    (["--placement", "fifo"], "newest, mru, lru, random"),
    (["--memory", "100000"], "128 <= memory <= 10240"),
    (["--reserved", "5", "--provisioned", "6", "--max-concurrency", "10"], "0 <= provisioned <= 5"),
    (["--seed", "-1"], "0 <= seed"),
])
def test_bad_input_exits_2_with_one_line(argv, text, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse-level errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert text in err


def test_python_dash_m_minilambda_simulate():
    proc = subprocess.run([sys.executable, "-m", "minilambda", "simulate", *EXAMPLE, "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert KEYS <= json.loads(proc.stdout).keys()
    bad = subprocess.run([sys.executable, "-m", "minilambda", "simulate", "--duration", "0"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "0 < duration < inf" in bad.stderr


def test_progress_bar_on_stderr_only_when_asked(capsys):
    assert main([*EXAMPLE, "--duration", "200000", "--progress", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["duration"] == 200000  # stdout stays one JSON object
    assert "simulated:" in err and "200k/200k" in err, err[-300:]
    assert main([*EXAMPLE, "--duration", "200000", "--no-progress", "--json"]) == 0
    assert capsys.readouterr().err == ""  # and off when stderr is not a terminal (the default here)
    assert main([*EXAMPLE, "--duration", "200000", "--json"]) == 0
    assert capsys.readouterr().err == ""
