"""Bills: what a month of Lambda would cost, from records, from a simulation, or from a guess.

Three ways in, one way out:

* :func:`bill_invocations` prices the :class:`~minilambda.records.Invocation` records a Cloud
  wrote (wall clock or virtual clock: the records are the same);
* :func:`bill_summary` prices the summary of a synthetic workload from ``minilambda.sim``;
* :func:`estimate` prices a workload described by a few numbers (what the ``cost`` command does).

All three add up the same usage (requests; GB-seconds per architecture, split into the part
spent in the handler and the part spent in INIT; ephemeral storage; provisioned concurrency;
API Gateway requests) and turn it into a :class:`Bill` of :class:`LineItem` rows. Amounts are
:class:`~decimal.Decimal` and exact; they are rounded only when shown.

How AWS computes it, and how we do:

* billed duration of one invocation = its duration rounded **up** to the next whole millisecond;
  since 1 August 2025 a cold start of an on-demand function on a managed runtime bills
  ``ceil(init + duration)``; custom runtimes (``provided.*``) and provisioned concurrency always
  did. ``bill_init=False`` applies the older rule, to show the difference;
* GB-seconds = billed seconds x MemorySize / 1024;
* duration prices fall in monthly volume tiers per architecture (6 B GB-s on x86_64, 7.5 B on
  arm64);
* the free tier (1 M requests and 400,000 GB-s a month) is an option, shown as credit lines.

AWS: https://aws.amazon.com/lambda/pricing/
Simplification: a bill covers one month of one region and one account; the free tier's GB-seconds
are the first ones of the month (priced at tier 1) and are taken from x86_64 before arm64; tiers
count all GB-seconds, free or not.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, localcontext
from typing import Any, Iterable

from ..model.limits import PROVISIONED
from ..records import Invocation, Outcome, RecordLog
from ..records import billed_ms as _billed_ms
from ._common import (
    BillingInputError,
    MAX_MEMORY_MB,
    MAX_STORAGE_MB,
    MB_PER_GB,
    MIN_MEMORY_MB,
    MIN_STORAGE_MB,
    MS_PER_S,
    ZERO,
    _CTX,
    _catalogue,
    _check_range,
    _d,
    billed_duration_ms,
    gb_seconds,
    init_is_billed,
)
from .catalogue import ARCHITECTURES, PriceCatalogue, check_architecture
from .items import Bill, FunctionCost, LineItem
from .pricing import _init_rule, _make_bill
from .usage import ApiGateway, Provisioned, _Usage, _add_invocation, _add_totals, _apply_provisioned


def _invocations_of(source: Any) -> list[Invocation]:
    """The Invocation records in *source*: a RecordLog, an iterable of records, or a Cloud (its ``records``)."""
    if isinstance(source, RecordLog):
        return list(source.invocations)
    if isinstance(source, Iterable):
        return [r for r in source if isinstance(r, Invocation)]
    return _invocations_of(source.records)  # a Cloud


def bill_invocations(records: Any, *, prices: PriceCatalogue | str | None = None, free_tier: bool = False,
                     bill_init: bool = True, provisioned: Provisioned | Iterable[Provisioned] | None = None,
                     api_gateway: ApiGateway | None = None) -> Bill:
    """The bill for a list of :class:`~minilambda.records.Invocation` records (or a Cloud, or its
    RecordLog): every invocation that reached an environment is billed; throttled ones are not.

    Each record's billed duration is recomputed from ``duration_ms`` and ``init_ms``
    (``ceil(init + duration)`` when INIT is billed, see :func:`init_is_billed`), so the same records
    can be billed under either INIT rule. Records with
    ``initialization_type == "provisioned-concurrency"`` pay the provisioned duration price; the
    configured concurrency itself is not in the records, so pass it as *provisioned*.

    AWS: https://aws.amazon.com/lambda/pricing/
    Simplification: a record without ``duration_ms`` but with ``billed_ms`` is billed as recorded.
    """
    cat = _catalogue(prices)
    usages: dict[tuple[str, str], _Usage] = {}
    included = cat.storage_included_mb
    # Sum whole milliseconds per group first (fast), then turn the sums into GB-seconds.
    groups: dict[tuple, list[int]] = {}
    for r in _invocations_of(records):
        arch = r.architecture
        key = (r.function_name, arch)
        u = usages.get(key)
        if u is None:
            check_architecture(arch, cat)
            u = usages[key] = _Usage(r.function_name, arch)
        u.api_requests += 1
        if r.outcome is Outcome.THROTTLED:
            u.throttles += 1
            continue
        init_type = r.initialization_type
        duration = r.duration_ms or 0.0
        init = r.init_ms or 0.0
        if not duration and not init and r.billed_ms:
            handler = total = int(r.billed_ms)
        else:
            handler = _billed_ms(duration, 0.0)
            total = handler if not init else _billed_ms(
                duration, init, bill_init=init_is_billed(r.runtime or "", init_type,
                                                         bill_init=bill_init))
        g = (key, r.memory_size_mb, r.ephemeral_storage_mb or 512, init_type == PROVISIONED)
        acc = groups.get(g)
        if acc is None:
            acc = groups[g] = [0, 0, 0, 0]
        acc[0] += 1
        acc[1] += 1 if r.cold else 0
        acc[2] += handler
        acc[3] += total
    for (key, memory, storage, is_pc), (n, colds, handler_ms, total_ms) in groups.items():
        _add_totals(usages[key], requests=n, cold_starts=colds, handler_ms=handler_ms, total_ms=total_ms,
                    memory_mb=memory, provisioned=is_pc, storage_mb=storage, included_mb=included)
    assumptions: dict[str, Any] = {
        "source": "invocation records",
        "init_rule": _init_rule(bill_init, cat),
        "rounding": "each invocation rounded up to the next 1 ms; GB = MB / 1024",
    }
    return _finish(usages, cat, assumptions, provisioned=provisioned, api_gateway=api_gateway, free_tier=free_tier)


def _finish(usages: dict[tuple[str, str], _Usage], cat: PriceCatalogue, assumptions: dict[str, Any], *,
            provisioned: Any, api_gateway: Any, free_tier: bool, default_seconds: float | None = None) -> "Bill":
    """What every bill does last: provisioned concurrency, API Gateway requests, then the line items."""
    pcs = _apply_provisioned(usages, provisioned, cat, default_seconds=default_seconds)
    if pcs:
        assumptions["provisioned"] = pcs
    if api_gateway is not None:
        if api_gateway.requests is not None:
            _spread_api_requests(usages, api_gateway.requests)
        assumptions["api_gateway"] = {"api": api_gateway.api, "request_kb": api_gateway.request_kb}
    else:
        for u in usages.values():
            u.api_requests = 0
    return _make_bill(usages, cat, free_tier=free_tier, api_gateway=api_gateway, assumptions=assumptions)


def _spread_api_requests(usages: dict[tuple[str, str], _Usage], total: int) -> None:
    """Replace per-function API request counts by *total*, shared in proportion."""
    _check_range("API Gateway requests", total, 0, None, integer=True)
    us = list(usages.values())
    seen = sum(u.api_requests for u in us)
    if not us:
        return
    assigned = 0
    for u in us[:-1]:
        share = total * u.api_requests // seen if seen else 0
        u.api_requests = share
        assigned += share
    us[-1].api_requests = int(total) - assigned


def bill_summary(summary: Any, *, prices: PriceCatalogue | str | None = None, free_tier: bool = False,
                 bill_init: bool = True, provisioned: Provisioned | Iterable[Provisioned] | None = None,
                 api_gateway: ApiGateway | None = None, function_name: str | None = None,
                 ephemeral_storage_mb: int | None = None, runtime: str | None = None) -> Bill:
    """The bill for a simulator summary (any object with ``requests, throttles, cold_starts,
    billed_ms_total, gb_seconds, memory_mb, architecture, init_ms_total, duration``).

    ``requests`` counts every arrival, throttled ones included; throttled requests are not billed.
    ``billed_ms_total`` is taken to include INIT, as AWS bills today (a summary attribute
    ``bill_init=False`` says it does not); with ``bill_init=False`` the INIT milliseconds are
    taken out again. *provisioned* defaults its ``seconds`` to the simulated ``duration``.

    AWS: https://aws.amazon.com/lambda/pricing/
    Simplification: a summary has totals, not invocations, so switching the INIT rule subtracts
    ``init_ms_total`` rather than re-rounding each cold start (at most 1 ms per cold start off);
    requests served by provisioned environments come from ``provisioned_requests`` and
    ``provisioned_billed_ms_total`` when the summary has them; free tier and tiers apply as if the
    simulated period were the whole month.
    """
    cat = _catalogue(prices)
    name = function_name or getattr(summary, "function_name", None) or "simulated"
    arch = getattr(summary, "architecture", "x86_64") or "x86_64"
    check_architecture(arch, cat)
    memory = int(summary.memory_mb)
    _check_range("memory", memory, MIN_MEMORY_MB, MAX_MEMORY_MB, "MB", integer=True)
    storage = ephemeral_storage_mb or getattr(summary, "ephemeral_storage_mb", 512) or 512
    _check_range("ephemeral storage", storage, MIN_STORAGE_MB, MAX_STORAGE_MB, "MB", integer=True)
    rt = runtime or getattr(summary, "runtime", None) or "python3.12"
    u = _summary_usage(summary, name, arch, memory, int(storage), cat,
                       init_billed=init_is_billed(rt, bill_init=bill_init))
    usages = {(name, arch): u}
    seconds = getattr(summary, "duration", None)
    assumptions: dict[str, Any] = {
        "source": "simulator summary",
        "simulated_seconds": float(seconds) if seconds is not None else None,
        "init_rule": _init_rule(bill_init, cat),
        "rounding": "billed_ms_total from the simulator (each invocation rounded up to 1 ms)",
    }
    return _finish(usages, cat, assumptions, provisioned=provisioned, api_gateway=api_gateway, free_tier=free_tier,
                   default_seconds=seconds)


def _summary_usage(summary: Any, name: str, arch: str, memory: int, storage: int, cat: PriceCatalogue, *,
                   init_billed: bool) -> _Usage:
    """The usage a simulator summary describes: billed requests, handler and INIT milliseconds, the
    provisioned part, storage beyond the included size."""
    requests = int(summary.requests)
    throttles = int(getattr(summary, "throttles", 0) or 0)
    billed_requests = requests - throttles
    if billed_requests < 0:
        raise BillingInputError(f"summary has more throttles ({throttles}) than requests ({requests})")
    init_total = _d(getattr(summary, "init_ms_total", 0) or 0)
    billed_total = getattr(summary, "billed_ms_total", None)
    with localcontext(_CTX):
        if billed_total is None:
            billed_total = _d(summary.gb_seconds) * MB_PER_GB * MS_PER_S / memory
        billed_total = _d(billed_total)
        includes_init = bool(getattr(summary, "bill_init", True))
        handler_ms = max(billed_total - init_total if includes_init else billed_total, ZERO)
        init_part = init_total if init_billed else ZERO
        u = _Usage(name, arch)
        u.memory[memory] += billed_requests
        u.requests = billed_requests
        u.throttles = throttles
        u.cold_starts = int(getattr(summary, "cold_starts", 0) or 0)
        u.billed_ms = handler_ms + init_part
        # Requests served by provisioned environments (always warm) pay the provisioned duration price.
        pc_ms = min(_d(getattr(summary, "provisioned_billed_ms_total", 0) or 0), handler_ms)
        u.pc_requests = int(getattr(summary, "provisioned_requests", 0) or 0)
        u.pc_gb_s = gb_seconds(pc_ms, memory)
        u.duration_gb_s = gb_seconds(handler_ms - pc_ms, memory)
        u.init_gb_s = gb_seconds(init_part, memory)
        extra = storage - cat.storage_included_mb
        if extra > 0:
            u.storage_gb_s = gb_seconds(handler_ms + init_part, extra)
        u.api_requests = requests
    return u


def estimate(requests: int, duration_ms: float, memory_mb: int, architecture: str = "x86_64", *,
             init_ms: float = 0, cold_start_ratio: float = 0, ephemeral_storage_mb: int = 512,
             free_tier: bool = False, bill_init: bool = True, runtime: str = "python3.12",
             provisioned: Provisioned | None = None, provisioned_share: float | None = None,
             api_gateway: ApiGateway | None = None, prices: PriceCatalogue | str | None = None,
             function_name: str = "function") -> Bill:
    """The monthly bill of *requests* invocations lasting *duration_ms* each at *memory_mb* MB.

    *duration_ms* may be fractional: each invocation is rounded up to the next millisecond
    (0.1 ms bills 1 ms, 100.01 ms bills 101 ms). A share *cold_start_ratio* of the on-demand
    invocations are cold starts with *init_ms* of INIT each (rounded to a whole number of cold
    starts). With *provisioned*, a share *provisioned_share* (default: all) of the requests run
    on provisioned environments.

    Worked examples (us-east-1, x86_64):

    * 1 M requests of 100 ms at 512 MB, no free tier: 1,000,000 x $0.0000002 = $0.20 for
      requests, plus 1,000,000 x 0.1 s x 0.5 GB = 50,000 GB-s x $0.0000166667 = $0.833335;
      total $1.033335.
    * AWS's pricing-page example, 3 M requests of 1 s at 512 MB with the free tier:
      1,500,000 GB-s - 400,000 free = 1,100,000 GB-s x $0.0000166667 = $18.33337, plus
      (3 M - 1 M) x $0.20 per million = $0.40; total $18.73337, i.e. **$18.73**. The pricing page
      prints $18.34 + $0.40 = $18.74 because it rounds the price to $0.00001667 per GB-s
      (1,100,000 x $0.00001667 = $18.337); the price list's exact rate is $0.0000166667.

    AWS: https://aws.amazon.com/lambda/pricing/
    Simplification: every invocation lasts exactly *duration_ms*; a month is whatever the
    request count says.
    """
    cat = _catalogue(prices)
    _check_estimate(cat, requests=requests, duration_ms=duration_ms, memory_mb=memory_mb, architecture=architecture,
                    init_ms=init_ms, cold_start_ratio=cold_start_ratio, ephemeral_storage_mb=ephemeral_storage_mb,
                    provisioned_share=provisioned_share)
    n = int(requests)
    share = _d(provisioned_share if provisioned_share is not None else (1 if provisioned else 0))
    n_pc = int((n * share).to_integral_value(rounding=ROUND_HALF_UP)) if provisioned else 0
    n_cold = int(((n - n_pc) * _d(cold_start_ratio)).to_integral_value(rounding=ROUND_HALF_UP))
    u = _estimated_usage(cat, function_name, architecture, n, n_pc, n_cold, duration_ms=duration_ms,
                         init_ms=init_ms, memory_mb=memory_mb, ephemeral_storage_mb=ephemeral_storage_mb,
                         init_billed=init_is_billed(runtime, bill_init=bill_init))
    usages = {(function_name, architecture): u}
    pcs = []
    if provisioned is not None:
        pc = Provisioned(provisioned.concurrency, provisioned.seconds, function_name,
                         provisioned.memory_mb or int(memory_mb),
                         provisioned.architecture or architecture, provisioned.qualifier)
        pcs = _apply_provisioned(usages, pc, cat)
    assumptions: dict[str, Any] = {
        "source": "estimate", "requests": n, "duration_ms": float(duration_ms),
        "billed_ms_per_invocation": billed_duration_ms(float(duration_ms)), "memory_mb": int(memory_mb),
        "architecture": architecture, "runtime": runtime, "init_ms": float(init_ms),
        "cold_start_ratio": float(cold_start_ratio), "cold_starts": n_cold,
        "ephemeral_storage_mb": int(ephemeral_storage_mb), "init_rule": _init_rule(bill_init, cat),
        "rounding": "each invocation rounded up to the next 1 ms; GB = MB / 1024",
    }
    if pcs:
        assumptions["provisioned"] = pcs
        assumptions["provisioned_requests"] = n_pc
    if api_gateway is not None:
        if api_gateway.requests is not None:
            _spread_api_requests(usages, api_gateway.requests)
        assumptions["api_gateway"] = {"api": api_gateway.api, "request_kb": api_gateway.request_kb}
    else:
        u.api_requests = 0
    return _make_bill(usages, cat, free_tier=free_tier, api_gateway=api_gateway, assumptions=assumptions)


def _check_estimate(cat: PriceCatalogue, *, requests: Any, duration_ms: Any, memory_mb: Any, architecture: str,
                    init_ms: Any, cold_start_ratio: Any, ephemeral_storage_mb: Any, provisioned_share: Any) -> None:
    """Refuse what ``estimate`` cannot price, saying what to fix."""
    _check_range("requests", requests, 0, None, integer=True)
    _check_range("duration_ms", duration_ms, 0, None, "ms")
    _check_range("memory", memory_mb, MIN_MEMORY_MB, MAX_MEMORY_MB, "MB", integer=True)
    check_architecture(architecture, cat)
    _check_range("init_ms", init_ms, 0, None, "ms")
    _check_range("cold_start_ratio", cold_start_ratio, 0, 1)
    _check_range("ephemeral storage", ephemeral_storage_mb, MIN_STORAGE_MB, MAX_STORAGE_MB, "MB", integer=True)
    if provisioned_share is not None:
        _check_range("provisioned_share", provisioned_share, 0, 1)


def _estimated_usage(cat: PriceCatalogue, function_name: str, architecture: str, n: int, n_pc: int, n_cold: int, *,
                     duration_ms: float, init_ms: float, memory_mb: int, ephemeral_storage_mb: int,
                     init_billed: bool) -> _Usage:
    """The usage of *n* identical invocations: warm and cold on demand, and on provisioned environments."""
    u = _Usage(function_name, architecture)
    common = dict(memory_mb=int(memory_mb), storage_mb=int(ephemeral_storage_mb), included_mb=cat.storage_included_mb,
                  duration_ms=duration_ms)
    n_warm = n - n_pc - n_cold
    if n_warm:
        _add_invocation(u, init_ms=0, cold=False, init_billed=init_billed, provisioned=False, count=n_warm, **common)
    if n_cold:
        _add_invocation(u, init_ms=init_ms, cold=True, init_billed=init_billed, provisioned=False, count=n_cold,
                        **common)
    if n_pc:
        _add_invocation(u, init_ms=0, cold=False, init_billed=True, provisioned=True, count=n_pc, **common)
    u.api_requests = n
    return u


__all__ = [
    "ARCHITECTURES",
    "ApiGateway",
    "Bill",
    "BillingInputError",
    "FunctionCost",
    "LineItem",
    "Provisioned",
    "bill_invocations",
    "bill_summary",
    "billed_duration_ms",
    "estimate",
    "gb_seconds",
    "init_is_billed",
]
