"""Billing: what Lambda would charge for what happened.

* :func:`load_prices` gives the :class:`PriceCatalogue` of a region (data in ``prices.json``,
  every price with its source and date, unverified ones flagged);
* :func:`bill_invocations`, :func:`bill_summary` and :func:`estimate` give a :class:`Bill`
  (line items, total, per-function breakdown; ``str(bill)`` is a table, ``bill.to_dict()`` data);
* :func:`power_tuning` compares memory sizes; :func:`server_comparison` and :func:`break_even`
  compare Lambda with always-on servers.

AWS: https://aws.amazon.com/lambda/pricing/
Simplification: one region and one month at a time; no Savings Plans, data transfer or logs.
"""

from .bill import (
    ApiGateway,
    Bill,
    BillingInputError,
    FunctionCost,
    LineItem,
    Provisioned,
    bill_invocations,
    bill_summary,
    billed_duration_ms,
    estimate,
    gb_seconds,
    init_is_billed,
)
from .catalogue import (
    ApiGatewayPrices,
    FreeTier,
    Price,
    PriceCatalogue,
    PriceError,
    Tier,
    available_regions,
    load_prices,
)
from .compare import ServerComparison, break_even, server_comparison
from .tuning import PowerTuningResult, PowerTuningRow, duration_at, power_tuning, vcpu_share

__all__ = [
    "ApiGateway",
    "ApiGatewayPrices",
    "Bill",
    "BillingInputError",
    "FreeTier",
    "FunctionCost",
    "LineItem",
    "PowerTuningResult",
    "PowerTuningRow",
    "Price",
    "PriceCatalogue",
    "PriceError",
    "Provisioned",
    "ServerComparison",
    "Tier",
    "available_regions",
    "bill_invocations",
    "bill_summary",
    "billed_duration_ms",
    "break_even",
    "duration_at",
    "estimate",
    "gb_seconds",
    "init_is_billed",
    "load_prices",
    "power_tuning",
    "server_comparison",
    "vcpu_share",
]
