"""Benchmark WebSocket APIs: a warm message round trip through a no-op Lambda, side by side with a
direct ``lam.invoke`` of the same function, and ``post_to_connection`` in-process. Prints numbers;
asserts nothing.

    .venv/bin/python benchmarks/bench_websocket.py [--n 300]

The added cost per message is the route lookup (read through the Cloud's ``apigatewayv2``
client), the event and the two WebSocket frames over loopback.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from websockets.sync.client import connect

from minilambda import Cloud, zip_files
from minilambda.apigateway.management import management_url, websocket_url

NOOP = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
ROLE = "arn:aws:iam::123456789012:role/r"


def build(cloud: Cloud) -> tuple[str, str]:
    """A WebSocket API whose ``$default`` route (two-way) runs a no-op function."""
    lam = cloud.client("lambda")
    arn = lam.create_function(FunctionName="noop", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                              Code={"ZipFile": zip_files({"app.py": NOOP})})["FunctionArn"]
    v2 = cloud.client("apigatewayv2")
    api_id = v2.create_api(Name="bench", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
    uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri)
    v2.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration['IntegrationId']}",
                    RouteResponseSelectionExpression="$default")
    v2.create_stage(ApiId=api_id, StageName="prod")
    lam.add_permission(FunctionName="noop", StatementId="ws", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    return api_id, websocket_url(cloud, api_id, "prod")


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def show(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    print(f"{name:<38} p50 {statistics.median(ms):7.3f} ms   p90 {ms[int(len(ms) * 0.9)]:7.3f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    from minilambda.apigateway.ports import invoke_lambda_integration

    with Cloud(seed=1) as cloud:
        api_id, url = build(cloud)
        lam = cloud.client("lambda")
        mgmt = cloud.client("apigatewaymanagementapi", endpoint_url=management_url(cloud, api_id, "prod"))
        arn = lam.get_function(FunctionName="noop")["Configuration"]["FunctionArn"]
        event = {"requestContext": {"routeKey": "$default"}, "body": "x", "isBase64Encoded": False}
        with connect(url) as ws:
            ws.send("warm")
            ws.recv()
            cid = cloud.websocket_apis.open_connections(api_id)[0]
            cases = {
                "lam.invoke (botocore, in-process)": lambda: lam.invoke(FunctionName="noop", Payload=b"{}"),
                "invoke_lambda_integration (port)": lambda: invoke_lambda_integration(
                    cloud, arn, event, source_arn="arn:aws:execute-api:us-east-1:1:x/prod/$default", timeout_ms=29000,
                    check_permission=False),
                "WebSocket message -> Lambda -> reply": lambda: (ws.send(json.dumps({"action": "x"})), ws.recv()),
                "post_to_connection -> client recv": lambda: (mgmt.post_to_connection(ConnectionId=cid, Data=b"p"),
                                                              ws.recv()),
            }
            samples: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.rounds):  # interleaved rounds: a busy machine hurts every case alike
                for name, fn in cases.items():
                    samples[name] += timed(fn, args.n // args.rounds)
        for name, ms in samples.items():
            show(name, ms)
        added = statistics.median(samples["WebSocket message -> Lambda -> reply"]) - \
            statistics.median(samples["invoke_lambda_integration (port)"])
        print(f"WebSocket route added p50 over the same Lambda call: {added:.3f} ms "
              "(config lookup, event, two frames over loopback)")


if __name__ == "__main__":
    main()
