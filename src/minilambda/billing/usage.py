"""Usage before prices: what happened (requests, GB-seconds, INIT, storage, provisioned concurrency)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import Any

from ._common import (
    BillingInputError,
    MAX_MEMORY_MB,
    MIN_MEMORY_MB,
    MS_PER_S,
    ZERO,
    _CTX,
    _check_range,
    _d,
    billed_duration_ms,
    gb_seconds,
)
from .catalogue import PriceCatalogue, check_architecture


@dataclass(frozen=True)
class Provisioned:
    """Provisioned concurrency configured on a function for *seconds* (a month is 2,628,000 s).

    It is charged per GB-second configured, used or not, from enable to disable rounded up to
    5 minutes; invocations that run on it pay a lower duration price.
    *function_name*, *memory_mb* and *architecture* default to those found in the records
    (or the estimate); *seconds* defaults to the simulated duration in :func:`bill_summary`.

    AWS: https://aws.amazon.com/lambda/pricing/#Provisioned_Concurrency_Pricing
    Simplification: the periodic recycling of provisioned environments (whose INIT AWS bills) is
    not modelled.
    """

    concurrency: int
    seconds: float | None = None
    function_name: str | None = None
    memory_mb: int | None = None
    architecture: str | None = None
    qualifier: str | None = None

    def billed_seconds(self, rounding: int = 300) -> Decimal:
        secs = _d(self.seconds or 0)
        blocks = (secs / rounding).to_integral_value(rounding=ROUND_CEILING)
        return blocks * rounding


@dataclass(frozen=True)
class ApiGateway:
    """API Gateway in front of the function: which kind of API and how big requests are.

    *requests* defaults to one per invocation (throttled ones included: API Gateway received
    them). HTTP APIs meter each request in 512 KB units, so a 1 MB request counts as 2; REST APIs
    count every request once.

    AWS: https://aws.amazon.com/api-gateway/pricing/
    Simplification: no caching, data transfer or WebSocket charges; the 12-month API Gateway free
    tier for new accounts is not applied.
    """

    api: str = "http"
    requests: int | None = None
    request_kb: float = 0.0

    def units_per_request(self, prices: PriceCatalogue) -> int:
        api = _api_prices(self.api, prices)
        if not api.unit_kb:
            return 1
        size = _d(self.request_kb)
        return max(1, int((size / api.unit_kb).to_integral_value(rounding=ROUND_CEILING)))


def _api_prices(kind: str, prices: PriceCatalogue):
    if kind not in prices.api_gateway:
        raise BillingInputError(f"unknown API Gateway API {kind!r}: choose one of "
                                f"{', '.join(prices.api_gateway)}")
    return prices.api_gateway[kind]



@dataclass
class _Usage:
    function_name: str
    architecture: str
    memory: Counter = field(default_factory=Counter)
    requests: int = 0
    throttles: int = 0
    cold_starts: int = 0
    billed_ms: Decimal = ZERO
    duration_gb_s: Decimal = ZERO  # on-demand, handler part
    init_gb_s: Decimal = ZERO  # on-demand, the extra billed because of INIT
    pc_requests: int = 0
    pc_gb_s: Decimal = ZERO  # invocations that ran on provisioned environments
    storage_gb_s: Decimal = ZERO  # ephemeral storage beyond the included 512 MB
    pc_configured_gb_s: Decimal = ZERO
    api_requests: int = 0  # requests seen by API Gateway (before metering units)

    @property
    def has_provisioned(self) -> bool:
        return self.pc_requests > 0 or self.pc_configured_gb_s > 0


def _add_totals(u: _Usage, *, requests: int, cold_starts: int, handler_ms: Any, total_ms: Any,
                memory_mb: int, provisioned: bool, storage_mb: int, included_mb: int) -> None:
    """Add *requests* invocations that together billed *total_ms* (of which *handler_ms* outside
    INIT) at *memory_mb* to *u*. GB-seconds are linear in milliseconds, so sums can be added."""
    handler_ms, total_ms = _d(handler_ms), _d(total_ms)
    with localcontext(_CTX):
        u.memory[int(memory_mb)] += requests
        u.requests += requests
        u.cold_starts += cold_starts
        u.billed_ms += total_ms
        if provisioned:
            u.pc_requests += requests
            u.pc_gb_s += gb_seconds(total_ms, memory_mb)
        else:
            u.duration_gb_s += gb_seconds(handler_ms, memory_mb)
            u.init_gb_s += gb_seconds(total_ms - handler_ms, memory_mb)
        extra_mb = max(0, int(storage_mb) - included_mb)
        if extra_mb:
            u.storage_gb_s += gb_seconds(total_ms, extra_mb)


def _add_invocation(u: _Usage, *, duration_ms: Any, init_ms: Any, memory_mb: int, cold: bool,
                    init_billed: bool, provisioned: bool, storage_mb: int, included_mb: int,
                    count: int = 1) -> None:
    """Add *count* identical invocations to *u*."""
    handler_ms = billed_duration_ms(float(duration_ms), 0.0)
    total_ms = billed_duration_ms(float(duration_ms), float(init_ms or 0.0), bill_init=init_billed)
    _add_totals(u, requests=count, cold_starts=count if cold else 0, handler_ms=handler_ms * count,
                total_ms=total_ms * count, memory_mb=memory_mb, provisioned=provisioned,
                storage_mb=storage_mb, included_mb=included_mb)


def _apply_provisioned(usages: dict[tuple[str, str], _Usage], provisioned: Any,
                       prices: PriceCatalogue, default_seconds: float | None = None) -> list[dict]:
    """Add configured provisioned concurrency to the usages; returns descriptions for the
    assumptions."""
    if provisioned is None:
        return []
    configs = [provisioned] if isinstance(provisioned, Provisioned) else list(provisioned)
    notes = []
    for pc in configs:
        if not isinstance(pc, Provisioned):
            raise BillingInputError("provisioned must be a Provisioned(...) or a list of them")
        _check_range("provisioned concurrency", pc.concurrency, 0, None, integer=True)
        name = pc.function_name
        names = sorted({k[0] for k in usages})
        if name is None:
            if len(names) != 1:
                raise BillingInputError("Provisioned(function_name=...) is needed when the bill has "
                                        f"{len(names)} functions")
            name = names[0]
        mine = [u for k, u in usages.items() if k[0] == name]
        arch = pc.architecture or (mine[0].architecture if mine else None)
        memory = pc.memory_mb
        if memory is None and mine:
            memory = sum((u.memory for u in mine), Counter()).most_common(1)[0][0]
        if arch is None or memory is None:
            raise BillingInputError(f"Provisioned for {name!r} needs memory_mb and architecture "
                                    "(no invocation records to take them from)")
        check_architecture(arch, prices)
        _check_range("provisioned memory", memory, MIN_MEMORY_MB, MAX_MEMORY_MB, "MB", integer=True)
        seconds = pc.seconds if pc.seconds is not None else default_seconds
        if seconds is None:
            raise BillingInputError("Provisioned(seconds=...) is needed: how long it was configured")
        _check_range("provisioned seconds", seconds, 0, None, "s")
        billed_s = Provisioned(pc.concurrency, seconds).billed_seconds(prices.provisioned_rounding_seconds)
        u = usages.get((name, arch))
        if u is None:
            u = usages[(name, arch)] = _Usage(name, arch)
        with localcontext(_CTX):
            u.pc_configured_gb_s += _d(pc.concurrency) * gb_seconds(billed_s * MS_PER_S, memory)
        notes.append({"function_name": name, "qualifier": pc.qualifier, "concurrency": pc.concurrency,
                      "memory_mb": int(memory), "architecture": arch, "seconds": float(seconds),
                      "billed_seconds": int(billed_s)})
    return notes
