"""Warm invoke latency (p50/p99) of ProcessEnvironment.invoke, cold start, and memory per environment."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from minilambda.runtime.environment import ProcessEnvironment, build_runtime_dir
from minilambda.runtime.spec import EnvironmentSpec

NOOP = "def handler(event, context):\n    return None\n"


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5000, help="warm invokes")
    parser.add_argument("--cold", type=int, default=20, help="cold starts")
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="minilambda-bench-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None)
    try:
        task = Path(base, "task")
        task.mkdir()
        (task / "app.py").write_text(NOOP)
        spec = EnvironmentSpec(
            function_name="bench", version="$LATEST", function_arn="arn:aws:lambda:us-east-1:123456789012:function:bench",
            runtime="python3.12", handler="app.handler", memory_size=128, timeout=3.0, environment={},
            task_root=str(task), layer_root=None, tmp_dir=os.path.join(base, "tmp"), log_group="/aws/lambda/bench",
            log_stream="s", region="us-east-1", account_id="123456789012", endpoint_url="http://127.0.0.1:9",
            runtime_dir=build_runtime_dir(os.path.join(base, "runtime")))
        env = ProcessEnvironment(spec)
        colds = []
        for _ in range(args.cold):
            t0 = time.perf_counter()
            assert env.start().ok
            assert env.invoke("cold", b"{}", spec.function_arn).outcome == "success"
            colds.append((time.perf_counter() - t0) * 1000)
            env.kill()
        env.start()
        for i in range(500):
            env.invoke(str(i), b"{}", spec.function_arn)
        times = []
        for i in range(args.n):
            t0 = time.perf_counter()
            env.invoke(str(i), b"{}", spec.function_arn)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        with open(f"/proc/{env.pid}/status") as f:
            rss = next(line.split()[1] for line in f if line.startswith("VmRSS"))
        env.close()
        print(f"warm invoke  p50 {times[len(times) // 2]:.3f} ms  p99 {times[int(len(times) * 0.99)]:.3f} ms  "
              f"mean {statistics.fmean(times):.3f} ms  (n={args.n})")
        print(f"cold start   p50 {statistics.median(colds):.1f} ms  max {max(colds):.1f} ms  "
              f"(fork server + INIT + first invoke, n={args.cold})")
        print(f"memory       {int(rss) / 1024:.1f} MB resident (VmRSS, incl. pages shared with the fork server) per idle environment")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
