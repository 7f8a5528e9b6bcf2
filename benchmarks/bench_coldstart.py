"""Cold starts, fork server vs spawn, side by side: no-op cold start p50, 100 concurrent 100 ms
invocations (wall time and median Init Duration), and the resident memory an idle environment adds.

Not a test: it prints numbers. ``python benchmarks/bench_coldstart.py [--cold 30] [--burst 100]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from minilambda.runtime.environment import ProcessEnvironment, build_runtime_dir
from minilambda.runtime.spec import EnvironmentSpec
from minilambda.runtime.supervisor import Supervisor

T = TypeVar("T")

HANDLERS = {"noop.py": "def handler(event, context):\n    return None\n",
            "sleepy.py": "import time\ndef handler(event, context):\n    time.sleep(0.1)\n    return 1\n"}


def make_spec(base: str, runtime_dir: str, handler: str, n: int) -> EnvironmentSpec:
    """A spec for environment *n* running *handler* from the benchmark's task folder."""
    return EnvironmentSpec(
        function_name="bench", version="$LATEST", function_arn="arn:aws:lambda:us-east-1:123456789012:function:bench",
        runtime="python3.12", handler=handler, memory_size=128, timeout=10.0, environment={},
        task_root=os.path.join(base, "task"), layer_root=None, tmp_dir=os.path.join(base, f"tmp-{n}"),
        log_group="/aws/lambda/bench", log_stream="s", region="us-east-1", account_id="123456789012",
        endpoint_url="http://127.0.0.1:9", runtime_dir=runtime_dir)


def cold_starts(sup: Supervisor, base: str, runtime_dir: str, count: int) -> list[float]:
    """Milliseconds from nothing to a finished first invoke of a no-op handler."""
    times = []
    for i in range(count):
        env = ProcessEnvironment(make_spec(base, runtime_dir, "noop.handler", i), sup)
        t0 = time.perf_counter()
        assert env.start().ok
        assert env.invoke("cold", b"{}", env.spec.function_arn).outcome == "success"
        times.append((time.perf_counter() - t0) * 1000)
        env.close()
    return times


def run_together(work: Callable[[T], None], items: Sequence[T]) -> float:
    """Run *work* on each item in its own thread, all released at once by a barrier; wall seconds to the last."""
    barrier = threading.Barrier(len(items) + 1)

    def one(item: T) -> None:
        barrier.wait()
        work(item)

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def burst(sup: Supervisor, base: str, runtime_dir: str, count: int) -> tuple[float, list[float]]:
    """Wall seconds for *count* concurrent cold 100 ms invocations; their Init Durations (ms)."""
    envs = [ProcessEnvironment(make_spec(base, runtime_dir, "sleepy.handler", 1000 + i), sup) for i in range(count)]
    inits: list[float] = []

    def run(env: ProcessEnvironment) -> None:
        init = env.start()
        inits.append(init.init_ms)
        assert env.invoke("b", b"{}", env.spec.function_arn).outcome == "success"

    wall = run_together(run, envs)
    for env in envs:
        env.close()
    return wall, inits


def cloud_burst(mode: str, count: int) -> float:
    """Wall seconds for *count* concurrent cold ``lam.invoke`` calls of a 100 ms handler through a Cloud
    (clients made beforehand; the clock starts when the barrier releases every thread at once)."""
    from minilambda import Cloud, zip_files

    with Cloud(seed=1, max_environments=count + 8) as cloud:
        cloud.supervisor.close()
        cloud.supervisor = Supervisor(cloud.workdir, mode=mode)  # the path to measure
        cloud.supervisor.prestart()
        lam = cloud.client("lambda")
        lam.create_function(FunctionName="burst", Runtime="python3.12", Role="arn:aws:iam::123456789012:role/r",
                            Handler="sleepy.handler", Code={"ZipFile": zip_files({"sleepy.py": HANDLERS["sleepy.py"]})})
        clients = [cloud.client("lambda") for _ in range(count)]
        ok: list[bool] = []

        def one(client: object) -> None:
            ok.append(client.invoke(FunctionName="burst")["StatusCode"] == 200)  # type: ignore[attr-defined]

        wall = run_together(one, clients)
        assert len(ok) == count and all(ok)
        return wall


def private_kb(pid: int) -> int:
    """Private (unshared) resident memory of *pid* in kB: what this process adds to the machine."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line and not line.startswith("0"))
    return sum(int(fields[k].split()[0]) for k in ("Private_Clean", "Private_Dirty"))


def idle_memory(sup: Supervisor, base: str, runtime_dir: str, count: int = 10) -> float:
    """MB of private resident memory one idle (warm, no-op) environment adds: runtime + its init."""
    envs = [ProcessEnvironment(make_spec(base, runtime_dir, "noop.handler", 2000 + i), sup) for i in range(count)]
    sizes = []
    for env in envs:
        env.start()
        env.invoke("w", b"{}", env.spec.function_arn)
        launched = env._launched
        assert launched is not None
        sizes.append(private_kb(launched.pid) + private_kb(launched.init_pid))
    for env in envs:
        env.close()
    return statistics.median(sizes) / 1024


def main() -> None:
    """Measure both paths in one run and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold", type=int, default=30, help="sequential cold starts per path")
    parser.add_argument("--burst", type=int, default=100, help="concurrent cold invocations")
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="minilambda-bench-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None)
    results = {}
    load_before = os.getloadavg()[0]
    try:
        Path(base, "task").mkdir()
        for name, code in HANDLERS.items():
            Path(base, "task", name).write_text(code)
        runtime_dir = build_runtime_dir(os.path.join(base, "runtime"))
        for mode in ("spawn", "fork"):
            with Supervisor(mode=mode) as sup:
                sup.prestart()
                cold_starts(sup, base, runtime_dir, 3)  # warm the page cache
                colds = cold_starts(sup, base, runtime_dir, args.cold)
                wall, inits = burst(sup, base, runtime_dir, args.burst)
                results[mode] = (statistics.median(colds), max(colds), wall, statistics.median(inits),
                                 idle_memory(sup, base, runtime_dir), cloud_burst(mode, args.burst))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after (the spawn burst itself loads the machine)")
    print(f"{'':50}{'spawn':>12}{'fork server':>14}{'target':>10}")
    rows = [("no-op cold start p50 (start + first invoke)", 0, "ms", "≤ 15"),
            ("no-op cold start max", 1, "ms", ""),
            (f"{args.burst} concurrent 100 ms invocations, wall", 2, "s", "≤ 1.5"),
            ("  median Init Duration in that burst", 3, "ms", ""),
            ("idle environment, private resident memory", 4, "MB", "≤ 8"),
            (f"the same burst through a Cloud (lam.invoke), wall", 5, "s", "≤ 1.5")]
    for label, i, unit, target in rows:
        fmt = ".2f" if unit == "s" else ".1f"
        print(f"{label:50}{results['spawn'][i]:>9{fmt}} {unit:<2}{results['fork'][i]:>11{fmt}} {unit:<2}{target:>10}")


if __name__ == "__main__":
    main()
