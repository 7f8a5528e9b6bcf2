"""``python -m minilambda deploy template.yaml``: deploy a template to a local Cloud (a CLI face,
like ``serve.py``: it may import ``cloud.py``; the engine is ``cloudformation/``).

Without ``--endpoint-url`` it starts a Cloud on a loopback endpoint, deploys, prints the
outputs and the APIs' local URLs, and keeps serving until Ctrl-C (``--no-serve`` exits after
deploying). With ``--endpoint-url`` it deploys to an already running ``python -m minilambda
serve``. Local code folders (``CodeUri``) are zipped and uploaded to the Cloud's S3 first, as
``sam deploy`` does with your AWS account's bucket.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from typing import Any, Callable

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deploy", help="deploy a CloudFormation/SAM template to a local Cloud",
        description="Deploy a CloudFormation or SAM template (local CodeUri folders are packaged) and print "
                    "its outputs and the local URLs of its APIs.")
    parser.add_argument("template", help="the template file (YAML or JSON)")
    parser.add_argument("--stack-name", help="default: the template's folder name")
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--capabilities", nargs="*", default=CAPABILITIES,
                        help="default: all of " + " ".join(CAPABILITIES) + " (IAM is not enforced locally)")
    parser.add_argument("--endpoint-url", help="deploy to a running `python -m minilambda serve` at this URL")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--port", type=int, default=4566, help="port of the Cloud's endpoint (0: a free one)")
    parser.add_argument("--no-serve", action="store_true", help="exit after deploying (the Cloud ends)")
    parser.set_defaults(run=run)


def _fail(message: str) -> int:
    print(f"python -m minilambda deploy: error: {message}", file=sys.stderr)
    return 2


def _parameters(pairs: list[str]) -> dict[str, str] | None:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            return None
        key, value = pair.split("=", 1)
        out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    if not os.path.isfile(args.template):
        return _fail(f"no template file {args.template!r}")
    params = _parameters(args.parameter_overrides)
    if params is None:
        return _fail("--parameter-overrides takes KEY=VALUE pairs")
    name = args.stack_name or re.sub(r"[^A-Za-z0-9-]", "-", os.path.basename(
        os.path.dirname(os.path.abspath(args.template)))).strip("-") or "stack"
    if args.endpoint_url:
        import boto3

        session = boto3.session.Session(aws_access_key_id="minilambda", aws_secret_access_key="minilambda",
                                        region_name=args.region)
        return _deploy(lambda s: session.client(s, endpoint_url=args.endpoint_url), args, name, params,
                       args.endpoint_url)
    return _deploy_local(args, name, params)


def _deploy_local(args: argparse.Namespace, name: str, params: dict[str, str]) -> int:
    from .cloud import Cloud
    from .wire import LoopbackEndpoint

    with Cloud(region=args.region) as cloud:
        try:
            gateway = LoopbackEndpoint(cloud.dispatch, port=args.port, check=cloud.signatures.check)
        except OSError as exc:
            return _fail(f"cannot bind 127.0.0.1:{args.port} ({exc.strerror}); pass --port 0 for a free port")
        try:
            print(f"minilambda Cloud on {gateway.url}", flush=True)
            code = _deploy(cloud.client, args, name, params, gateway.url)
            if code or args.no_serve:
                return code
            print(f"Serving until Ctrl-C: aws --endpoint-url {gateway.url} cloudformation describe-stacks "
                  f"--stack-name {name}", flush=True)
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            stop.wait()
            return 0
        finally:
            gateway.close()


def _deploy(clients: Callable[[str], Any], args: argparse.Namespace, name: str, params: dict[str, str],
            endpoint: str) -> int:
    from botocore.exceptions import ClientError

    from .cloudformation.deploy import deploy, local_urls

    try:
        result = deploy(clients, args.template, stack_name=name, parameters=params,
                        capabilities=tuple(args.capabilities), region=args.region, progress=sys.stdout)
    except ClientError as exc:
        return _fail(str(exc))
    except RuntimeError as exc:
        return _fail(str(exc))
    if not result.changed:
        print(f"No changes to deploy. Stack {name} is up to date")
    elif not result.status.endswith("_COMPLETE") or "ROLLBACK" in result.status:
        print(f"Failed to create/update the stack {name}: {result.status}. See the events above, or run\n"
              f"aws cloudformation describe-stack-events --stack-name {name}", file=sys.stderr)
        return 1
    else:
        print(f"Successfully created/updated stack - {name} in {result.seconds:.2f} s")
    if result.outputs:
        print("Outputs")
        for key, value in result.outputs.items():
            print(f"  {key:<28} {value}")
    urls = local_urls(clients, name)
    if urls:
        print("Local API URLs")
        for key, value in urls.items():
            print(f"  {key:<28} {value}")
    if result.site_bucket:
        print(f"Client: {endpoint.rstrip('/')}/{result.site_bucket}/index.html")
    return 0
