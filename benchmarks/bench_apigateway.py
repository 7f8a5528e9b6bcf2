"""A warm GET through a REST API and an HTTP API to a no-op Lambda over loopback HTTP, side by side
with a direct ``lam.invoke`` of the same function, in one run; then throughput with 8 keep-alive
client threads. Prints numbers; asserts nothing. Usage::

    python benchmarks/bench_apigateway.py [--n 2000] [--threads 8] [--seconds 5]

API Gateway's added latency = p50(GET through the API) - p50(direct lam.invoke). Both paths run
the same Lambda environment; the API path adds the client's HTTP request, the front door, routing,
the proxy event and the proxy response.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import threading
import time
from urllib.parse import urlsplit

from minilambda import Cloud, zip_files

ROLE = "arn:aws:iam::123456789012:role/bench"
NOOP = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def quantiles(samples_ms: list[float]) -> tuple[float, float]:
    s = sorted(samples_ms)
    return s[len(s) // 2], s[min(len(s) - 1, int(0.99 * len(s)))]


def connect(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn, parts.path


class GetTimer:
    """Warm GETs on one keep-alive connection."""

    def __init__(self, url: str) -> None:
        self.conn, self.path = connect(url)
        self.time(200)  # warm-up

    def time(self, n: int) -> list[float]:
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            self.conn.request("GET", self.path)
            resp = self.conn.getresponse()
            resp.read()
            samples.append((time.perf_counter() - t) * 1000)
            assert resp.status == 200, resp.status
        return samples


def time_invokes(lam, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        lam.invoke(FunctionName="noop", Payload=b"{}")["Payload"].read()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def interleaved(lam, rest: GetTimer, http: GetTimer, n: int, block: int = 50) -> tuple[list, list, list]:
    """Blocks of each path in turn, so a busy machine's drift hits all three alike."""
    direct, rest_ms, http_ms = [], [], []
    time_invokes(lam, 200)
    for _ in range(max(1, n // block)):
        direct += time_invokes(lam, block)
        rest_ms += rest.time(block)
        http_ms += http.time(block)
    return direct, rest_ms, http_ms


def throughput(url: str, threads: int, seconds: float) -> float:
    counts = [0] * threads
    stop = time.perf_counter() + seconds
    start_line = threading.Barrier(threads)

    def worker(i: int) -> None:
        conn, path = connect(url)
        start_line.wait()
        while time.perf_counter() < stop:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            counts[i] += resp.status == 200
        conn.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - t0)


def build(cloud) -> tuple[str, str]:
    lam = cloud.client("lambda")
    arn = lam.create_function(FunctionName="noop", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                              Code={"ZipFile": zip_files({"app.py": NOOP})})["FunctionArn"]
    lam.add_permission(FunctionName="noop", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    ag = cloud.client("apigateway")
    rest = ag.create_rest_api(name="bench", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = ag.get_resources(restApiId=rest)["items"][0]["id"]
    res = ag.create_resource(restApiId=rest, parentId=root, pathPart="ping")["id"]
    ag.put_method(restApiId=rest, resourceId=res, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=rest, resourceId=res, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                       uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    ag.create_deployment(restApiId=rest, stageName="prod")
    http_api = cloud.client("apigatewayv2").create_api(Name="bench", ProtocolType="HTTP", Target=arn)["ApiId"]
    return cloud.api_url(rest, "prod") + "/ping", cloud.api_url(http_api) + "/ping"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with Cloud(seed=1, max_environments=16) as cloud:
        rest_url, http_url = build(cloud)
        lam = cloud.client("lambda")
        direct, rest, http = interleaved(lam, GetTimer(rest_url), GetTimer(http_url), args.n)
        d50, d99 = quantiles(direct)
        print(f"warm no-op, n={args.n} each, interleaved in blocks of 50, same run")
        print(f"  direct lam.invoke          p50 {d50:7.3f} ms   p99 {d99:7.3f} ms")
        for name, samples in (("REST API GET (loopback)", rest), ("HTTP API GET (loopback)", http)):
            p50, p99 = quantiles(samples)
            print(f"  {name:26s} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms   added p50 {p50 - d50:+7.3f} ms")
        for name, url in (("REST", rest_url), ("HTTP", http_url)):
            rps = throughput(url, args.threads, args.seconds)
            print(f"  {name} API throughput, {args.threads} keep-alive client threads: {rps:8.0f} requests/s")
        print(f"  environments used: {cloud.platform.live}, API requests recorded: {len(cloud.api_requests)}")


if __name__ == "__main__":
    main()
