"""Every operation the Cloud serves, fed inputs generated from botocore's own service model.

Inputs are type-correct (botocore must be able to serialise them) and valid or invalid per the
model's constraints (lengths, ranges, patterns, enums); botocore's client-side validation is off, so
every request reaches the Cloud. The answer must be a botocore-parsed response or a ``ClientError``
with an AWS error code below 500 — never a Python exception, never a hang. The operations a model
has but the Cloud does not serve (moto lacks them) refuse malformed input alike and otherwise answer
the 501 ``NotImplementedException`` naming the operation. The budget is bounded
(a few examples per operation, derandomised) so it runs in ``make test``: every service the Cloud
serves, in about a minute serial on a 2-core machine.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

import botocore.exceptions
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minilambda import Cloud

EXAMPLES = 25  # per operation
# The moto-backed services serve ~190 operations between them and moto is the slow part of each
# example: fewer examples each (still every operation; 10 found every class of 500 they had).
EXAMPLES_FOR = {"apigateway": 12, "apigatewayv2": 12, "cognito-idp": 12, "dynamodb": 15}
UNSERVED_EXAMPLES = 2  # operations a model has but the Cloud does not serve: the front end's 4xx or a 501
NAMES = st.sampled_from(["f", "q", "b-1", "arn:aws:lambda:us-east-1:123456789012:function:f"])
# Operations whose valid inputs wait or start environments: their waiting is bounded by the model
# (WaitTimeSeconds ≤ 20 on the virtual clock); invocations of a missing function answer 404.
SKIP: set[tuple[str, str]] = set()


@functools.lru_cache(maxsize=None)
def _operations() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(served, unserved): each service's operations its adapter serves, and the rest of its model."""
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=0) as cloud:
        served, unserved = [], []
        for service in cloud.dispatcher.services:
            names = cloud.dispatcher.index(service).operation_names
            table = getattr(cloud.dispatcher.adapter(service), "operations", {})
            served += [(service, op) for op in sorted(names) if op in table and (service, op) not in SKIP]
            unserved += [(service, op) for op in sorted(names) if op not in table]
        return served, unserved


def _string(shape: Any) -> st.SearchStrategy[str]:
    meta = shape.metadata
    if "enum" in meta:
        return st.one_of(st.sampled_from(meta["enum"]), st.text(max_size=8))
    lo, hi = meta.get("min", 0), min(meta.get("max", 40), 300)
    options = [st.text(min_size=0, max_size=min(hi + 2, 60)), NAMES, st.text(min_size=hi, max_size=hi + 1)]
    pattern = meta.get("pattern")
    if pattern:
        try:
            re.compile(pattern)
            options.append(st.from_regex(pattern, fullmatch=True).filter(lambda s: len(s) <= 300))
        except re.error:
            pass
    if lo > 0:
        options.append(st.text(min_size=max(lo - 1, 0), max_size=lo))
    return st.one_of(options)


def _number(shape: Any, floating: bool) -> st.SearchStrategy[Any]:
    meta = shape.metadata
    lo, hi = meta.get("min", -3), meta.get("max", 10_000)
    if floating:
        return st.floats(min_value=float(lo) - 2, max_value=float(hi) + 2, allow_nan=False)
    return st.integers(min_value=int(lo) - 2, max_value=min(int(hi) + 2, 2**31 - 1))


def strategy(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for a botocore shape: type-correct, valid or not per its constraints."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 4:
            return st.just({})
        members = {n: strategy(m, depth + 1) for n, m in shape.members.items()
                   if m.serialization.get("location") != "headers"}
        required = {n: members[n] for n in shape.required_members if n in members}
        optional = {n: s for n, s in members.items() if n not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "list":
        return st.lists(strategy(shape.member, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(_string(shape.key), strategy(shape.value, depth + 1), max_size=3)
    if kind == "string":
        return _string(shape)
    if kind in ("integer", "long"):
        return _number(shape, floating=False)
    if kind in ("double", "float"):
        return _number(shape, floating=True)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.one_of(st.binary(max_size=64), st.sampled_from([b"{}", b'{"a": NaN}', b"\x00\xff"]))
    if kind == "timestamp":
        return st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1))
    return st.none()


# botocore raises these before sending anything: its own checks, not an answer of the Cloud.
CLIENT_SIDE = (botocore.exceptions.ParamValidationError, botocore.exceptions.ValidationError,
               botocore.exceptions.EndpointResolutionError, botocore.exceptions.InvalidEndpointConfigurationError,
               botocore.exceptions.FlexibleChecksumError, botocore.exceptions.MissingDependencyException,
               botocore.exceptions.UnsupportedS3ArnError, botocore.exceptions.InvalidS3AddressingStyleError)


@pytest.fixture(scope="module")
def cloud():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=7) as c:
        yield c


@pytest.fixture(scope="module")
def clients(cloud):
    """One client per service for the whole module (building a botocore client costs more than a call)."""
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = cloud.client(service, parameter_validation=False)
        return made[service]

    return client


def _answers_as_aws(client: Any, operation: str, examples: int, unserved: bool) -> None:
    """Generated inputs get a parsed response or an AWS error below 500 (or, for an operation the
    Cloud does not serve, the 501 ``NotImplementedException`` that says so)."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    method = getattr(client, botocore.xform_name(operation))
    params = strategy(shape) if shape is not None else st.just({})

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(params)
    def check(kwargs: dict[str, Any]) -> None:
        try:
            out = method(**kwargs)
        except CLIENT_SIDE:
            return
        except botocore.exceptions.ClientError as exc:
            error = exc.response["Error"]
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            assert error.get("Code"), f"{operation}({kwargs!r}) -> an error without an AWS code: {exc.response}"
            said = unserved and status == 501 and error["Code"] in ("NotImplementedException", "NotImplemented")
            assert status < 500 or said, f"{operation}({kwargs!r}) -> {status} {error}"
            return
        assert isinstance(out, dict) and "ResponseMetadata" in out

    check()


@pytest.mark.parametrize("service, operation", _operations()[0])
def test_every_served_operation_answers_as_aws_for_generated_inputs(clients, service, operation):
    _answers_as_aws(clients(service), operation, EXAMPLES_FOR.get(service, EXAMPLES), unserved=False)


@pytest.mark.parametrize("service, operation", _operations()[1])
def test_every_other_operation_of_a_model_refuses_or_says_it_is_not_implemented(clients, service, operation):
    """moto's missing operations: malformed input still gets the service's 4xx (the front end
    checks first), well-formed input the 501 naming the operation, never a 500."""
    _answers_as_aws(clients(service), operation, UNSERVED_EXAMPLES, unserved=True)
