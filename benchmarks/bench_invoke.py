"""Warm and cold invoke latency through ``lam.invoke``, side by side with AWS's Runtime Interface
Emulator (RIE) driving the real awslambdaric, and 100 concurrent invocations.

Prints numbers; asserts nothing. Usage::

    python benchmarks/bench_invoke.py [--warm 2000] [--no-rie] [--concurrent 100]

The RIE binary ships inside the ``aws-sam-cli`` wheel; this script fetches that wheel with
``pip download --no-deps`` into ``benchmarks/.cache`` (never installs aws-sam-cli) and extracts
``samcli/local/rapid/aws-lambda-rie-<arch>``.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

from minilambda import Cloud, zip_files

ROLE = "arn:aws:iam::123456789012:role/bench"
NOOP = "def handler(event, context):\n    return None\n"
CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")


def quantiles(samples_ms: list[float]) -> str:
    s = sorted(samples_ms)
    q = lambda p: s[min(len(s) - 1, int(p * len(s)))]  # noqa: E731
    return f"p50 {q(0.50):6.3f} ms   p90 {q(0.90):6.3f} ms   p99 {q(0.99):6.3f} ms   (n={len(s)})"


def bench_minilambda(n: int) -> tuple[list[float], list[float]]:
    warm, cold = [], []
    with Cloud(seed=1) as cloud:
        lam = cloud.client("lambda")
        for i in range(5):  # cold starts: a new function each time
            lam.create_function(FunctionName=f"cold{i}", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": zip_files({"app.py": NOOP})})
            t = time.perf_counter()
            lam.invoke(FunctionName=f"cold{i}", Payload=b"{}")["Payload"].read()
            cold.append((time.perf_counter() - t) * 1000)
        for _ in range(200):  # warm-up
            lam.invoke(FunctionName="cold0", Payload=b"{}")["Payload"].read()
        for _ in range(n):
            t = time.perf_counter()
            lam.invoke(FunctionName="cold0", Payload=b"{}")["Payload"].read()
            warm.append((time.perf_counter() - t) * 1000)
    return warm, cold


def rie_binary() -> str | None:
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())
    if arch is None:
        return None
    target = os.path.join(CACHE, f"aws-lambda-rie-{arch}")
    if os.path.exists(target):
        return target
    os.makedirs(CACHE, exist_ok=True)
    wheels = glob.glob(os.path.join(CACHE, "aws_sam_cli-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "aws-sam-cli", "-d", CACHE],
                       check=True)
        wheels = glob.glob(os.path.join(CACHE, "aws_sam_cli-*.whl"))
    with zipfile.ZipFile(wheels[0]) as zf, zf.open(f"samcli/local/rapid/aws-lambda-rie-{arch}") as src, \
            open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.chmod(target, 0o755)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_rie(n: int) -> list[float] | None:
    binary = rie_binary()
    if binary is None:
        return None
    task = tempfile.mkdtemp(prefix="bench-rie-")
    with open(os.path.join(task, "app.py"), "w") as fh:
        fh.write(NOOP)
    port, api_port = free_port(), free_port()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": task, "AWS_LAMBDA_FUNCTION_TIMEOUT": "30"}
    proc = subprocess.Popen([binary, "--runtime-interface-emulator-address", f"127.0.0.1:{port}",
                             "--runtime-api-address", f"127.0.0.1:{api_port}",
                             sys.executable, "-m", "awslambdaric", "app.handler"],
                            cwd=task, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = None
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.connect()
                break
            except OSError:
                time.sleep(0.05)
        assert conn is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def call() -> float:
            t = time.perf_counter()
            conn.request("POST", "/2015-03-31/functions/function/invocations", body=b"{}",
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            return (time.perf_counter() - t) * 1000

        for _ in range(200):
            call()
        return [call() for _ in range(n)]
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(task, ignore_errors=True)


def bench_concurrent(n: int) -> None:
    src = "import os, time\ndef handler(event, context):\n    time.sleep(0.1)\n    return os.getpid()\n"
    with Cloud(seed=1, max_environments=max(n, 100) + 8) as cloud:
        lam = cloud.client("lambda")
        lam.create_function(FunctionName="par", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zip_files({"app.py": src})})
        barrier = threading.Barrier(n)
        pids: list[int] = []
        errors: list[BaseException] = []

        def one() -> None:
            client = cloud.client("lambda")
            barrier.wait()
            try:
                pids.append(json.loads(client.invoke(FunctionName="par")["Payload"].read()))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=one) for _ in range(n)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t
        records = [r for r in cloud.invocations if r.function_name == "par"]
        envs = {r.environment_id for r in records}
        inits = [r.init_ms for r in records if r.cold]
        print(f"  {n} concurrent 100 ms invocations: {len(pids)} ok, {len(errors)} errors, "
              f"{len(set(pids))} distinct processes, {len(envs)} environments, wall {wall:.2f} s, "
              f"median init {statistics.median(inits):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=2000, help="warm invokes per side")
    parser.add_argument("--no-rie", action="store_true", help="skip the Runtime Interface Emulator")
    parser.add_argument("--concurrent", type=int, default=100)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}")
    warm, cold = bench_minilambda(args.warm)
    print("minilambda lam.invoke (botocore client, no-op handler)")
    print("  warm:", quantiles(warm))
    print("  cold (spawn + INIT + invoke):", quantiles(cold))
    if not args.no_rie:
        rie = bench_rie(args.warm)
        if rie is None:
            print("RIE: no binary for this architecture")
        else:
            print("RIE + awslambdaric over a kept-alive connection (raw HTTP, no SDK)")
            print("  warm:", quantiles(rie))
    bench_concurrent(args.concurrent)


if __name__ == "__main__":
    main()
