"""``python -m minilambda serve``: one Cloud behind a loopback HTTP endpoint, so any AWS client
(the AWS CLI, boto3, an SDK in another language) can use it with ``--endpoint-url``.

The endpoint is the same Gateway that handlers reach through ``AWS_ENDPOINT_URL``; it tells
services apart by the SigV4 credential scope and checks the signature, as AWS does: clients sign
with the Cloud's key pair (``minilambda`` / ``minilambda``, printed at start) or keys added with
``cloud.apigateway.add_credentials``; other keys get AWS's ``InvalidClientTokenId``-style 403s.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

CLOUD_KEY = CLOUD_SECRET = "minilambda"  # the Cloud's own key pair (cloud.client() and API Gateway know it)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve a Cloud over HTTP for the AWS CLI and SDKs",
        description="Serve Lambda, Logs, SQS, S3, SNS and EventBridge on one loopback endpoint.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4566, help="port (0 picks a free one; default 4566)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-environments", type=int, default=64)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .cloud import Cloud
    from .wire import LoopbackEndpoint

    if not 0 <= args.port <= 65535:
        print(f"python -m minilambda serve: error: --port must be between 0 and 65535 (got {args.port})",
              file=sys.stderr)
        return 2
    stop = threading.Event()
    with Cloud(seed=args.seed, region=args.region, max_environments=args.max_environments) as cloud:
        try:
            gateway = LoopbackEndpoint(cloud.dispatch, host=args.host, port=args.port, check=cloud.signatures.check)
        except OSError as exc:
            print(f"python -m minilambda serve: error: cannot bind {args.host}:{args.port} ({exc.strerror}); "
                  "pass --port 0 for a free port", file=sys.stderr)
            return 2
        print(f"minilambda serving on {gateway.url}", flush=True)
        print(f"  export AWS_ACCESS_KEY_ID={CLOUD_KEY} AWS_SECRET_ACCESS_KEY={CLOUD_SECRET}"
              f" AWS_DEFAULT_REGION={args.region}", flush=True)
        print(f"  aws --endpoint-url {gateway.url} --region {args.region} lambda list-functions", flush=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            gateway.close()
    return 0
