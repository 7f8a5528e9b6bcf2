"""Serverless versus a server: the same traffic on Lambda and on always-on instances.

Lambda's bill grows with every request; a fleet of instances costs the same whether it is busy
or idle, until the traffic needs one more instance. Below the break-even rate Lambda is
cheaper, above it the servers are.

AWS: https://aws.amazon.com/lambda/pricing/ , https://aws.amazon.com/ec2/pricing/on-demand/
Simplification: a month is 730 hours of steady traffic; an instance serves up to
*instance_capacity_rps* requests a second and costs *instance_hourly_usd* an hour, nothing else
(no load balancer, storage, data transfer or operations work).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ._common import _check_range, _d, _money
from .bill import estimate
from .items import Bill
from .catalogue import PriceCatalogue

HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class ServerComparison:
    """Monthly cost of one traffic level on Lambda and on always-on instances."""

    requests_per_second: float
    monthly_requests: int
    lambda_usd: Decimal
    instances: int
    server_usd: Decimal
    break_even_rps: float | None
    lambda_bill: Bill

    @property
    def cheaper(self) -> str:
        """``"lambda"``, ``"server"`` or ``"same"``."""
        if self.lambda_usd < self.server_usd:
            return "lambda"
        if self.lambda_usd > self.server_usd:
            return "server"
        return "same"

    def to_dict(self) -> dict[str, Any]:
        return {"requests_per_second": self.requests_per_second, "monthly_requests": self.monthly_requests,
                "lambda_usd": float(self.lambda_usd), "instances": self.instances,
                "server_usd": float(self.server_usd), "break_even_rps": self.break_even_rps,
                "cheaper": self.cheaper}

    def __str__(self) -> str:
        be = "never (Lambda is cheaper at any rate)" if self.break_even_rps is None \
            else f"{self.break_even_rps:,.2f} requests/s"
        return (f"{self.requests_per_second:,.2f} requests/s = {self.monthly_requests:,} requests a month\n"
                f"  Lambda:  ${_money(self.lambda_usd, 2)}\n"
                f"  Servers: ${_money(self.server_usd, 2)} ({self.instances} always-on instance"
                f"{'s' if self.instances != 1 else ''})\n"
                f"  Cheaper: {self.cheaper}; break-even at {be}")


def _lambda_cost_per_request(duration_ms: float, memory_mb: int, architecture: str, init_ms: float,
                             cold_start_ratio: float, prices: Any) -> Decimal:
    n = 1_000_000
    bill = estimate(n, duration_ms, memory_mb, architecture, init_ms=init_ms,
                    cold_start_ratio=cold_start_ratio, prices=prices)
    return bill.total_usd / n


def break_even(duration_ms: float, memory_mb: int, *, instance_hourly_usd: float,
               instance_capacity_rps: float, min_instances: int = 1, architecture: str = "x86_64",
               init_ms: float = 0, cold_start_ratio: float = 0,
               prices: PriceCatalogue | str | None = None) -> float | None:
    """The request rate (per second) above which always-on instances cost less than Lambda.

    Lambda costs *c* per request, so ``c x rate x 3,600`` an hour; one instance costs
    *instance_hourly_usd* an hour. They meet at ``rate = hourly / (c x 3,600)`` per instance.
    If that rate is more than one instance can serve, Lambda is cheaper at every rate (each extra
    instance adds the same again) and the answer is None.

    AWS: https://aws.amazon.com/lambda/pricing/
    Simplification: Lambda's cost is a straight line (tier-1 price, no free tier).
    """
    _check_range("instance_hourly_usd", instance_hourly_usd, 0, None, "USD")
    _check_range("instance_capacity_rps", instance_capacity_rps, 0, None, "requests/s")
    _check_range("min_instances", min_instances, 1, None, integer=True)
    c = _lambda_cost_per_request(duration_ms, memory_mb, architecture, init_ms, cold_start_ratio, prices)
    if c == 0:
        return None
    per_instance = _d(instance_hourly_usd) / (c * 3600)
    if per_instance > _d(instance_capacity_rps):
        return None
    return float(per_instance * min_instances)


def server_comparison(requests_per_second: float, duration_ms: float, memory_mb: int, *,
                      instance_hourly_usd: float, instance_capacity_rps: float, min_instances: int = 1,
                      architecture: str = "x86_64", init_ms: float = 0, cold_start_ratio: float = 0,
                      free_tier: bool = False, hours: float = HOURS_PER_MONTH,
                      prices: PriceCatalogue | str | None = None) -> ServerComparison:
    """A month of *requests_per_second* on Lambda and on enough always-on instances to serve it.

    Instances needed = ``max(min_instances, ceil(rate / capacity))``; their cost =
    instances x hourly price x *hours*. The Lambda side is a full :func:`estimate` (tiers and,
    if asked, the free tier).

    AWS: https://aws.amazon.com/lambda/pricing/
    Simplification: see the module docstring.
    """
    _check_range("requests_per_second", requests_per_second, 0, None, "requests/s")
    _check_range("instance_capacity_rps", instance_capacity_rps, 0, None, "requests/s")
    if instance_capacity_rps <= 0:
        raise ValueError("instance_capacity_rps must be more than 0 requests/s")
    _check_range("hours", hours, 0, None, "h")
    rate = _d(requests_per_second)
    monthly = int((rate * _d(hours) * 3600).to_integral_value(rounding=ROUND_HALF_UP))
    bill = estimate(monthly, duration_ms, memory_mb, architecture, init_ms=init_ms,
                    cold_start_ratio=cold_start_ratio, free_tier=free_tier, prices=prices)
    instances = max(int(min_instances), math.ceil(float(rate / _d(instance_capacity_rps))))
    server = _d(instance_hourly_usd) * instances * _d(hours)
    be = break_even(duration_ms, memory_mb, instance_hourly_usd=instance_hourly_usd,
                    instance_capacity_rps=instance_capacity_rps, min_instances=min_instances,
                    architecture=architecture, init_ms=init_ms, cold_start_ratio=cold_start_ratio,
                    prices=prices)
    return ServerComparison(requests_per_second=float(requests_per_second), monthly_requests=monthly,
                            lambda_usd=bill.total_usd, instances=instances, server_usd=server,
                            break_even_rps=be, lambda_bill=bill)
