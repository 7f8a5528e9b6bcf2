"""A warm GET through a Lambda function URL (AuthType NONE) over loopback HTTP, side by side with a
direct ``lam.invoke`` of the same no-op function, in one run. Prints numbers; asserts nothing. Usage::

    python benchmarks/bench_function_url.py [--n 1000]

The function URL's added latency = p50(GET) - p50(direct lam.invoke): the client's HTTP request, the
front door, the policy check, the 2.0 event and the response mapping.
"""

from __future__ import annotations

import argparse
import http.client
import time
from urllib.parse import urlsplit

from minilambda import Cloud, zip_files

ROLE = "arn:aws:iam::123456789012:role/bench"
NOOP = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def quantiles(samples_ms: list[float]) -> tuple[float, float]:
    s = sorted(samples_ms)
    return s[len(s) // 2], s[min(len(s) - 1, int(0.99 * len(s)))]


def time_gets(url: str, n: int) -> list[float]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        conn.request("GET", "/")
        resp = conn.getresponse()
        resp.read()
        samples.append((time.perf_counter() - t) * 1000)
        assert resp.status == 200, resp.status
    return samples


def time_invokes(lam, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        lam.invoke(FunctionName="noop")["Payload"].read()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    with Cloud(seed=1) as cloud:
        lam = cloud.client("lambda")
        lam.create_function(FunctionName="noop", Runtime="python3.12", Handler="app.handler", Role=ROLE,
                            Code={"ZipFile": zip_files({"app.py": NOOP})})
        url = lam.create_function_url_config(FunctionName="noop", AuthType="NONE")["FunctionUrl"]
        lam.add_permission(FunctionName="noop", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                           FunctionUrlAuthType="NONE")
        lam.add_permission(FunctionName="noop", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                           InvokedViaFunctionUrl=True)
        endpoint = cloud.function_url_endpoint(url)
        time_gets(endpoint, 100)  # warm-up (and the cold start)
        time_invokes(lam, 100)
        direct = quantiles(time_invokes(lam, args.n))
        through_url = quantiles(time_gets(endpoint, args.n))
    print(f"{'path':<28}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'direct lam.invoke':<28}{direct[0]:>10.3f}{direct[1]:>10.3f}")
    print(f"{'GET function URL':<28}{through_url[0]:>10.3f}{through_url[1]:>10.3f}")
    print(f"function URL adds (p50): {through_url[0] - direct[0]:.3f} ms")


if __name__ == "__main__":
    main()
