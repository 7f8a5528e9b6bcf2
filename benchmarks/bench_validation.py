"""What AWS's front-end validation (``wire/validation.py``) costs per request: the same in-process
calls with the model check on and off, side by side, and the check alone for Invoke.

Prints numbers; asserts nothing; starts no environment. Usage::

    python benchmarks/bench_validation.py [--calls 3000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from minilambda import Cloud, zip_files
from minilambda.wire import Request
from minilambda.wire.validation import validate_request

ROLE = "arn:aws:iam::123456789012:role/bench"


def per_call_us(fn, calls: int) -> float:
    """Median of five runs of *calls* calls, in µs per call."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        runs.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=1) as cloud:
        lam = cloud.client("lambda")
        lam.create_function(FunctionName="f", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zip_files({"app.py": "def handler(e, c):\n    return e\n"})})
        adapter = cloud.dispatcher.adapter("lambda")
        calls = {"GetFunctionConfiguration": lambda: lam.get_function_configuration(FunctionName="f"),
                 "ListFunctions": lambda: lam.list_functions()}
        print(f"{'operation (in-process client)':34} {'validated':>10} {'unchecked':>10}   µs/call")
        for name, call in calls.items():
            adapter.validates_input = True
            on = per_call_us(call, args.calls)
            adapter.validates_input = False
            off = per_call_us(call, args.calls)
            print(f"{name:34} {on:10.1f} {off:10.1f}")
        adapter.validates_input = True
        op = cloud.dispatcher.index("lambda").operation_model("Invoke")
        req = Request.from_url("POST", "/2015-03-31/functions/f/invocations?Qualifier=live",
                               [("x-amz-invocation-type", "RequestResponse")], b'{"a": 1}')
        req.labels = {"FunctionName": "f"}
        print(f"{'validate_request(Invoke) alone':34} {per_call_us(lambda: validate_request(op, req), args.calls):10.1f}")


if __name__ == "__main__":
    main()
