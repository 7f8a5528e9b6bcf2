"""``python -m minilambda simulate``: the simulator on the command line.

    python -m minilambda simulate --arrival-rate 0.9 --warm-mean 1.991 --cold-mean 2.244 \\
        --keep-alive 600 --max-concurrency 1000 --duration 1e6 --seed 1 --placement newest --json

Units are seconds. Arrivals are Poisson; warm and cold response times are exponential with the
given means (the cold one is the whole cold response time, as in the SimFaaS model).
``--max-concurrency`` is the account limit of an account with this one function.
Bad input exits with status 2 and one line naming the valid range.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from ..model.platform import Placement

EXIT_USAGE = 2


class _OneLineError(Exception):
    pass


def _fail(parser: argparse.ArgumentParser):
    def error(message: str) -> None:  # argparse's own errors: one line, status 2
        sys.stderr.write(f"minilambda simulate: error: {message}\n")
        raise SystemExit(EXIT_USAGE)
    return error


def _number(valid: str):
    """An argparse type: a float, or an error naming the valid range."""
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            msg = f"expected a number ({valid}), got {text!r}"
            raise argparse.ArgumentTypeError(msg) from None
    return parse


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``simulate`` subcommand to *subparsers* (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "simulate", help="simulate a workload on the platform model (fast, virtual time)",
        description="Simulate one function under Poisson arrivals on the shared platform model. "
                    "Units are seconds.")
    p.error = _fail(p)  # type: ignore[method-assign]
    p.add_argument("--arrival-rate", type=_number("0 < arrival-rate < inf"), default=0.9, metavar="PER_S",
                   help="Poisson arrival rate, requests per second (> 0; default 0.9)")
    p.add_argument("--warm-mean", type=_number("0 < warm-mean < inf"), default=1.991, metavar="S",
                   help="mean warm response time, exponential (> 0; default 1.991)")
    p.add_argument("--cold-mean", type=_number("0 < cold-mean < inf"), default=2.244, metavar="S",
                   help="mean whole cold response time, exponential (> 0; default 2.244)")
    p.add_argument("--keep-alive", type=_number("0 <= keep-alive <= inf"), default=600.0, metavar="S",
                   help="idle seconds before an environment is reclaimed (>= 0, inf = never; default 600)")
    p.add_argument("--max-concurrency", type=_number("whole number >= 1"), default=1000, metavar="N",
                   help="account concurrency limit (whole number >= 1; default 1000)")
    p.add_argument("--duration", type=_number("0 < duration < inf"), default=3600.0, metavar="S",
                   help="simulated seconds (> 0; default 3600)")
    p.add_argument("--seed", type=_number("whole number >= 0"), default=None, metavar="N", help="random seed (whole number >= 0)")
    p.add_argument("--placement", default="newest", metavar="POLICY",
                   help=f"warm-start placement: {', '.join(Placement.names)} (default newest)")
    p.add_argument("--memory", type=_number("128 <= memory <= 10240"), default=128, metavar="MB",
                   help="function memory, MB (128-10240; default 128)")
    p.add_argument("--architecture", default="x86_64", metavar="ARCH", help="x86_64 or arm64")
    p.add_argument("--reserved", type=_number("0 <= reserved <= max-concurrency"), default=None, metavar="N",
                   help="reserved concurrency (0 <= N <= max concurrency)")
    p.add_argument("--provisioned", type=_number("0 <= provisioned <= reserved or max-concurrency"), default=0, metavar="N",
                   help="provisioned concurrency (0 <= N <= reserved or max concurrency)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress bar on stderr over the simulated time (default: when stderr is a terminal)")
    p.set_defaults(run=run)
    return p


def _whole(name: str, value: float | None, lo: int, hi: float = math.inf) -> int | None:
    if value is None:
        return None
    if not math.isfinite(value) or value != int(value) or not lo <= value <= hi:
        top = "" if math.isinf(hi) else f" <= {int(hi)}"
        msg = f"{name} must be a whole number ({lo} <= {name.lstrip('-')}{top}), got {value:g}"
        raise _OneLineError(msg)
    return int(value)


class _ProgressBar:
    """A tqdm bar on stderr over the simulated seconds (a no-op when disabled)."""

    def __init__(self, duration: float, enabled: bool) -> None:
        self.duration, self.enabled, self.bar = duration, enabled, None

    def __enter__(self) -> _ProgressBar:
        if self.enabled and math.isfinite(self.duration) and self.duration > 0:
            from tqdm import tqdm

            self.bar = tqdm(total=self.duration, unit="s", unit_scale=True, desc="simulated", file=sys.stderr,
                            dynamic_ncols=True, leave=True)
        return self

    def reached(self, t: float) -> None:
        """The simulation has reached simulated time *t* (seconds)."""
        if self.bar is not None:
            self.bar.update(min(t, self.duration) - self.bar.n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def run(args: argparse.Namespace) -> int:
    """Run ``simulate`` from parsed arguments; print JSON or a table. Returns the exit status."""
    from .arrivals import Poisson
    from .distributions import Exponential
    from .engine import simulate

    try:
        if args.placement not in Placement.names:
            msg = f"--placement must be one of {', '.join(Placement.names)}, got {args.placement!r}"
            raise _OneLineError(msg)
        for flag, value in (("--arrival-rate", args.arrival_rate), ("--warm-mean", args.warm_mean),
                            ("--cold-mean", args.cold_mean), ("--duration", args.duration)):
            if not (math.isfinite(value) and value > 0):
                msg = f"{flag} must be a number of {'requests per second' if 'rate' in flag else 'seconds'} " \
                      f"(0 < {flag.lstrip('-')} < inf), got {value:g}"
                raise _OneLineError(msg)
        if math.isnan(args.keep_alive) or args.keep_alive < 0:
            msg = f"--keep-alive must be a number of seconds (0 <= keep-alive <= inf), got {args.keep_alive:g}"
            raise _OneLineError(msg)
        max_c = _whole("--max-concurrency", args.max_concurrency, 1)
        reserved = _whole("--reserved", args.reserved, 0, max_c)
        provisioned = _whole("--provisioned", args.provisioned, 0, reserved if reserved is not None else max_c)
        seed = _whole("--seed", args.seed, 0)
        memory = _whole("--memory", args.memory, 128, 10240)
        show_bar = sys.stderr.isatty() if args.progress is None else args.progress
        with _ProgressBar(args.duration, enabled=show_bar) as bar:
            result = simulate(
                arrivals=Poisson(args.arrival_rate), warm=Exponential(args.warm_mean),
                cold=Exponential(args.cold_mean), keep_alive=args.keep_alive, max_concurrency=max_c,
                duration=args.duration, seed=seed, placement=args.placement, memory_mb=memory,
                architecture=args.architecture, reserved=reserved, provisioned=provisioned or 0,
                progress=bar.reached)
    except (_OneLineError, ValueError, TypeError) as exc:
        sys.stderr.write(f"minilambda simulate: error: {exc}\n")
        return EXIT_USAGE
    s = result.summary
    if args.json:
        print(json.dumps(s.to_dict(), sort_keys=False))
    else:
        print(format_table(s))
    return 0


def format_table(s: Any) -> str:
    """A readable two-column table of a ``Summary``."""
    rows = [
        ("requests", f"{s.requests:,}"),
        ("cold starts", f"{s.cold_starts:,}  ({s.cold_start_ratio:.4%})"),
        ("throttles", f"{s.throttles:,}  ({s.throttle_ratio:.4%})"),
        ("mean environments", f"{s.mean_environments:.4f}"),
        ("  busy", f"{s.mean_busy:.4f}"),
        ("  idle", f"{s.mean_idle:.4f}"),
        ("utilization", f"{s.utilization:.4%}"),
        ("environments created", f"{s.environments_created:,}  (peak {s.peak_environments:,} live)"),
        ("environment lifetime", f"mean {s.environment_lifetime_mean_s:,.1f} s, max {s.environment_lifetime_max_s:,.1f} s"),
        ("latency p50/p90/p99", f"{s.latency_p50_s:.3f} / {s.latency_p90_s:.3f} / {s.latency_p99_s:.3f} s"),
        ("billed", f"{s.billed_ms_total:,} ms = {s.gb_seconds:,.3f} GB-s at {s.memory_mb} MB ({s.architecture})"),
        ("simulated", f"{s.duration:,.0f} s in {s.wall_seconds:.3f} s wall "
                      f"({s.wall_seconds / max(s.requests, 1) * 1e6:.2f} us/request)"),
    ]
    for reason, n in s.throttle_reasons.items():
        rows.append((f"  {reason}", f"{n:,}"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    """Run the ``simulate`` subcommand alone (``python -m minilambda.sim.command ...``)."""
    parser = argparse.ArgumentParser(prog="python -m minilambda")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["simulate", *(sys.argv[1:] if argv is None else argv)])
    return args.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
