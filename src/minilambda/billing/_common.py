"""Exact money arithmetic for bills: Decimal helpers, input checks, the price catalogue argument."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any, Sequence

from ..model.limits import PROVISIONED
from ..records import billed_ms as _billed_ms
from .catalogue import PriceCatalogue, PriceError, Tier, load_prices


#: Decimal precision for bills: enough digits that no product or sum is ever rounded.
_CTX = Context(prec=60)
ZERO = Decimal(0)
MB_PER_GB = Decimal(1024)
MS_PER_S = Decimal(1000)

MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
MIN_STORAGE_MB = 512
MAX_STORAGE_MB = 10_240


class BillingInputError(PriceError):
    """An input to a bill is out of range (one line, naming the valid range)."""



def _d(x: Any) -> Decimal:
    """A Decimal from an int, float or string, without binary noise (0.1 -> 0.1, not 0.1000...)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, float):
        if not math.isfinite(x):
            raise BillingInputError(f"not a finite number: {x}")
        return Decimal(repr(x))
    return Decimal(str(x))


def gb_seconds(billed_ms: Any, memory_mb: Any) -> Decimal:
    """GB-seconds of *billed_ms* milliseconds at *memory_mb* MB, exactly (GB = MB / 1024).

    AWS: https://aws.amazon.com/lambda/pricing/ ("GB-s ... memory in GB, 1 GB = 1024 MB")
    """
    with localcontext(_CTX):
        return _d(billed_ms) / MS_PER_S * _d(memory_mb) / MB_PER_GB


def billed_duration_ms(duration_ms: float, init_ms: float = 0.0, *, bill_init: bool = True) -> int:
    """Billed milliseconds of one invocation: ``ceil(duration)``, or ``ceil(init + duration)``
    when its INIT is billed. Same rule as :func:`minilambda.records.billed_ms`.

    AWS: https://aws.amazon.com/lambda/pricing/ ("rounded up to the nearest 1 ms")
    """
    return _billed_ms(duration_ms, init_ms, bill_init=bill_init)


def init_is_billed(runtime: str, initialization_type: str = "on-demand", *, bill_init: bool = True) -> bool:
    """Whether a cold start's INIT time is added to the billed duration.

    Always for custom runtimes (``provided``, ``provided.al2``, ``provided.al2023``) and for
    provisioned concurrency; for on-demand functions on managed runtimes only under the rule in
    force since 1 August 2025 (``bill_init=True``).

    AWS: https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase
    Simplification: we cannot tell ZIP from container-image functions (images always billed INIT),
    and SnapStart's restore and cache charges are not modelled (``snap-start`` counts as on-demand).
    """
    if (runtime or "").startswith("provided"):
        return True
    if initialization_type == PROVISIONED:
        return True
    return bool(bill_init)


def _ladder(quantity: Decimal, tiers: Sequence[Tier], start: Decimal = ZERO) -> list[tuple[int, Tier, Decimal]]:
    """Split *quantity* over a volume ladder, starting *start* units up it (cumulative usage)."""
    out = []
    pos = start
    left = quantity
    with localcontext(_CTX):
        for i, tier in enumerate(tiers, 1):
            if left <= 0:
                break
            upper = tier.up_to
            if upper is not None and pos >= upper:
                continue
            room = left if upper is None else min(left, upper - pos)
            out.append((i, tier, room))
            left -= room
            pos += room
    return out


def _tier_note(i: int, tiers: Sequence[Tier], unit: str) -> str:
    lower = tiers[i - 2].up_to if i > 1 else ZERO
    upper = tiers[i - 1].up_to
    if upper is None:
        return f"over {_qty(lower)} {unit} a month"
    if i == 1:
        return f"first {_qty(upper)} {unit} a month"
    return f"next {_qty(upper - lower)} {unit} a month"


def _money(x: Decimal, places: int = 6) -> str:
    q = Decimal(1).scaleb(-places)
    return f"{x.quantize(q, rounding=ROUND_HALF_UP):,.{places}f}"


def _qty(x: Decimal | int) -> str:
    x = _d(x)
    if x == x.to_integral_value():
        return f"{int(x):,}"
    s = f"{x.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):,.4f}".rstrip("0").rstrip(".")
    return s


def _plain(x: Decimal) -> str:
    """A Decimal as plain digits (never scientific notation)."""
    s = format(x, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


def _num(x: Decimal) -> int | float:
    """A JSON-friendly number: int when whole, else float."""
    if x == x.to_integral_value():
        return int(x)
    return float(x)


def _check_range(name: str, value: Any, low: float, high: float | None, unit: str = "",
                 integer: bool = False) -> None:
    try:
        v = _d(value)
    except Exception:
        v = None
    ok = v is not None and v.is_finite() and v >= _d(low) and (high is None or v <= _d(high))
    if ok and integer and v != v.to_integral_value():
        ok = False
    if not ok:
        kind = "a whole number" if integer else "a number"
        rng = f"from {low:,} to {high:,}" if high is not None else f"of at least {low:,}"
        unit = f" {unit}" if unit else ""
        raise BillingInputError(f"{name} must be {kind} {rng}{unit} (got {value})")


def _catalogue(prices: PriceCatalogue | str | None) -> PriceCatalogue:
    if prices is None:
        return load_prices()
    if isinstance(prices, str):
        return load_prices(prices)
    return prices
