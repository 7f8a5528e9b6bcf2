"""``python -m minilambda cost``: price a workload from the command line.

Example::

    python -m minilambda cost --requests 1000000 --duration-ms 100 --memory 512 --architecture x86_64
    python -m minilambda cost --requests 3000000 --duration-ms 1000 --memory 512 --free-tier --json

Numbers are read as text and checked here, so a bad value gives one line naming the valid range
(and exit status 2) rather than a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ._common import MAX_MEMORY_MB, MAX_STORAGE_MB, MIN_MEMORY_MB, MIN_STORAGE_MB, _check_range, _d
from .bill import estimate
from .usage import ApiGateway, Provisioned
from .catalogue import DEFAULT_REGION, PriceError, available_regions, load_prices

PROG = "python -m minilambda cost"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``cost`` subcommand to *subparsers* (from ``ArgumentParser.add_subparsers``)."""
    p = subparsers.add_parser(
        "cost",
        help="price a Lambda workload (requests, duration, memory) for a month",
        description="Price a month of Lambda invocations with AWS's rules: each invocation rounded "
                    "up to 1 ms, GB = MB / 1024, INIT billed since 1 Aug 2025, volume tiers.",
    )
    p.add_argument("--requests", required=True, metavar="N", help="invocations in the month")
    p.add_argument("--duration-ms", required=True, metavar="MS",
                   help="duration of each invocation in ms (fractions are rounded up per invocation)")
    p.add_argument("--memory", default="128", metavar="MB", help="memory size, 128-10240 MB (default 128)")
    p.add_argument("--architecture", default="x86_64", metavar="ARCH", help="x86_64 (default) or arm64")
    p.add_argument("--init-ms", default="0", metavar="MS", help="INIT duration of a cold start in ms")
    p.add_argument("--cold-start-ratio", default="0", metavar="R",
                   help="share of invocations that are cold starts, 0-1 (default 0)")
    p.add_argument("--ephemeral-storage", default="512", metavar="MB",
                   help="/tmp size, 512-10240 MB (default 512, included in the price)")
    p.add_argument("--free-tier", action="store_true", help="subtract the monthly free tier "
                   "(1M requests, 400,000 GB-s)")
    p.add_argument("--no-init-billing", action="store_true",
                   help="the rule before 1 Aug 2025: INIT free for managed runtimes")
    p.add_argument("--runtime", default="python3.12", help="runtime (provided.* always bills INIT)")
    p.add_argument("--provisioned-concurrency", default="0", metavar="N",
                   help="provisioned environments configured (all requests then run on them)")
    p.add_argument("--provisioned-hours", default="730", metavar="H",
                   help="hours provisioned concurrency is configured (default 730, a month)")
    p.add_argument("--api", default=None, metavar="KIND", help="add API Gateway: http or rest")
    p.add_argument("--request-kb", default="0", metavar="KB",
                   help="size of each API request in KB (HTTP APIs meter 512 KB units)")
    p.add_argument("--region", default=DEFAULT_REGION, help=f"price region (default {DEFAULT_REGION})")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(run=run)
    return p


def _one_of(option: str, value: str, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise PriceError(f"{option} must be one of {', '.join(valid)} (got {value!r})")


def _estimate_from(args: argparse.Namespace):
    regions = available_regions()
    _one_of("--region", args.region, regions)
    prices = load_prices(args.region)
    _one_of("--architecture", args.architecture, prices.architectures)
    _check_range("--requests", args.requests, 0, None, integer=True)
    _check_range("--duration-ms", args.duration_ms, 0, None, "ms")
    _check_range("--memory", args.memory, MIN_MEMORY_MB, MAX_MEMORY_MB, "MB", integer=True)
    _check_range("--init-ms", args.init_ms, 0, None, "ms")
    _check_range("--cold-start-ratio", args.cold_start_ratio, 0, 1)
    _check_range("--ephemeral-storage", args.ephemeral_storage, MIN_STORAGE_MB, MAX_STORAGE_MB, "MB",
                 integer=True)
    _check_range("--provisioned-concurrency", args.provisioned_concurrency, 0, None, integer=True)
    _check_range("--provisioned-hours", args.provisioned_hours, 0, None, "h")
    _check_range("--request-kb", args.request_kb, 0, None, "KB")
    api = None
    if args.api is not None:
        _one_of("--api", args.api, tuple(prices.api_gateway))
        api = ApiGateway(api=args.api, request_kb=float(_d(args.request_kb)))
    pc = None
    if int(_d(args.provisioned_concurrency)):
        pc = Provisioned(int(_d(args.provisioned_concurrency)), float(_d(args.provisioned_hours)) * 3600)
    return estimate(
        int(_d(args.requests)), float(_d(args.duration_ms)), int(_d(args.memory)), args.architecture,
        init_ms=float(_d(args.init_ms)), cold_start_ratio=float(_d(args.cold_start_ratio)),
        ephemeral_storage_mb=int(_d(args.ephemeral_storage)), free_tier=args.free_tier,
        bill_init=not args.no_init_billing, runtime=args.runtime, provisioned=pc, api_gateway=api,
        prices=prices)


def run(args: argparse.Namespace) -> int:
    """Print the bill for the workload in *args*; 0 on success, 2 (one line on stderr) on bad input."""
    try:
        bill = _estimate_from(args)
    except (PriceError, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(bill.to_dict(), indent=2) if args.json else bill.table())
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:  # pragma: no cover
            pass
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``cost`` command on its own (without the rest of the CLI)."""
    parser = argparse.ArgumentParser(prog="python -m minilambda")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["cost", *(argv if argv is not None else sys.argv[1:])])
    return int(args.run(args) or 0)
