"""The shop of module 01: four features with their own traffic, duration, memory and INIT."""

from __future__ import annotations

from dataclasses import dataclass

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Feature:
    """One feature of the shop: its traffic and what one request of it needs."""

    name: str
    rps: float  # mean requests per second over the day
    duration_ms: float
    memory_mb: int
    init_ms: float


SHOP: tuple[Feature, ...] = (
    Feature("browse", 20.0, 40.0, 256, 200.0),
    Feature("search", 5.0, 300.0, 1024, 900.0),
    Feature("cart", 3.0, 60.0, 256, 200.0),
    Feature("checkout", 1.0, 400.0, 512, 500.0),
)


def monolith_of(features: tuple[Feature, ...] = SHOP) -> tuple[int, float]:
    """The monolith's memory (the hungriest feature's) and INIT (every feature's imports)."""
    return max(f.memory_mb for f in features), sum(f.init_ms for f in features)


def _by_name(name: str, features: tuple[Feature, ...]) -> Feature:
    for f in features:
        if f.name == name:
            return f
    msg = f"no feature named {name!r}; choose one of {', '.join(f.name for f in features)}"
    raise ValueError(msg)

