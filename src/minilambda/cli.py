"""``python -m minilambda``: the command line (``simulate``, ``cost``, ``serve``, ``deploy``)."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m minilambda",
        description="A local AWS Lambda: simulate workloads and price them.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from .sim.command import register as register_simulate
    from .billing.command import register as register_cost
    from .serve import register as register_serve
    from .deploy import register as register_deploy

    register_simulate(sub)
    register_cost(sub)
    register_serve(sub)
    register_deploy(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
