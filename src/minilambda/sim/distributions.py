"""Duration distributions: how long a request runs (warm), how long INIT takes, or how long a
whole cold response takes.

Each distribution is a small value object, in the manner of Ciw's ``ciw.dists``: its constructor
checks its arguments (the message names the bad value and the valid range), ``repr`` is the
constructor call, ``mean`` is the expected value in seconds, and ``sample(rng, size=None)`` draws
from a ``numpy.random.Generator`` (one float, or an array of *size* floats).

>>> import numpy as np
>>> Exponential(mean=2.0)
Exponential(mean=2.0)
>>> Constant(0.25).sample(np.random.default_rng(1), 3)
array([0.25, 0.25, 0.25])
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import math
from typing import Sequence

import numpy as np

__all__ = ["Distribution", "Exponential", "Constant", "LogNormal", "Empirical"]


def _positive(owner: str, name: str, value: object, *, allow_zero: bool = False) -> float:
    """*value* as a float, or a ValueError that names it and the valid range."""
    bound = ">=" if allow_zero else ">"
    rng_text = f"0 <= {name} < inf" if allow_zero else f"0 < {name} < inf"
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        msg = f"{owner} {name} must be a number of seconds ({rng_text}), got {value!r}"
        raise ValueError(msg) from None
    if isinstance(value, bool) or not math.isfinite(x) or (x < 0 if allow_zero else x <= 0):
        msg = f"{owner} {name} must be a finite number {bound} 0 ({rng_text}), got {value!r}"
        raise ValueError(msg)
    return x


class Distribution(ABC):
    """A distribution of durations in seconds (non-negative)."""

    #: The expected value, in seconds.
    mean: float

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int | None = None):
        """One draw (``size=None``) or an array of *size* draws, in seconds."""

    def _arr(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(self.sample(rng, size), dtype=float)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


class Exponential(Distribution):
    """Exponentially distributed durations with the given *mean* (or *rate* = 1 / mean).

    The published SimFaaS model draws warm and cold response times from exponentials.
    """

    __slots__ = ("mean",)

    def __init__(self, mean: float | None = None, *, rate: float | None = None) -> None:
        if (mean is None) == (rate is None):
            msg = "Exponential needs exactly one of mean= (seconds) or rate= (per second)"
            raise ValueError(msg)
        if rate is not None:
            self.mean = 1.0 / _positive("Exponential", "rate", rate)
        else:
            self.mean = _positive("Exponential", "mean", mean)

    def sample(self, rng: np.random.Generator, size: int | None = None):
        return rng.exponential(self.mean, size)

    def __repr__(self) -> str:
        return f"Exponential(mean={self.mean!r})"


class Constant(Distribution):
    """Always the same duration (``Constant(0)`` is allowed: an INIT that costs nothing)."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = _positive("Constant", "value", value, allow_zero=True)

    @property
    def mean(self) -> float:  # type: ignore[override]
        return self.value

    def sample(self, rng: np.random.Generator, size: int | None = None):
        if size is None:
            return self.value
        return np.full(size, self.value)

    def __repr__(self) -> str:
        return f"Constant({self.value!r})"


class LogNormal(Distribution):
    """Durations whose logarithm is normal with mean *mu* and standard deviation *sigma*
    (numpy's parameters). ``LogNormal.from_mean_cv(mean, cv)`` picks them from a mean and a
    coefficient of variation, which is easier to read off a latency plot.
    """

    __slots__ = ("mu", "sigma")

    def __init__(self, mu: float, sigma: float) -> None:
        try:
            m = float(mu)
        except (TypeError, ValueError):
            m = math.nan
        if isinstance(mu, bool) or not math.isfinite(m):
            msg = f"LogNormal mu must be a finite number (-inf < mu < inf), got {mu!r}"
            raise ValueError(msg)
        self.mu = m
        self.sigma = _positive("LogNormal", "sigma", sigma, allow_zero=True)

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> "LogNormal":
        """The log-normal with this *mean* (seconds) and coefficient of variation *cv*."""
        m = _positive("LogNormal", "mean", mean)
        c = _positive("LogNormal", "cv", cv, allow_zero=True)
        s2 = math.log1p(c * c)
        return cls(math.log(m) - s2 / 2.0, math.sqrt(s2))

    @property
    def mean(self) -> float:  # type: ignore[override]
        return math.exp(self.mu + self.sigma**2 / 2.0)

    @property
    def median(self) -> float:
        return math.exp(self.mu)

    def sample(self, rng: np.random.Generator, size: int | None = None):
        return rng.lognormal(self.mu, self.sigma, size)

    def __repr__(self) -> str:
        return f"LogNormal(mu={self.mu!r}, sigma={self.sigma!r})"


class Empirical(Distribution):
    """Durations drawn uniformly, with replacement, from observed *values* (seconds)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[float]) -> None:
        try:
            arr = np.asarray(values, dtype=float).ravel()
        except (TypeError, ValueError):
            msg = f"Empirical values must be a sequence of numbers of seconds (0 <= value < inf), got {values!r}"
            raise ValueError(msg) from None
        if arr.size == 0:
            msg = "Empirical values must hold at least one observation (0 <= value < inf), got none"
            raise ValueError(msg)
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            msg = (f"Empirical values must be finite and >= 0 (0 <= value < inf), got "
                   f"{arr[bad][0]!r} at position {int(np.argmax(bad))}")
            raise ValueError(msg)
        arr.setflags(write=False)
        self.values = arr

    @property
    def mean(self) -> float:  # type: ignore[override]
        return float(self.values.mean())

    def sample(self, rng: np.random.Generator, size: int | None = None):
        if size is None:
            return float(self.values[rng.integers(self.values.size)])
        return self.values[rng.integers(self.values.size, size=size)]

    def __repr__(self) -> str:
        v = self.values
        shown = ", ".join(repr(float(x)) for x in v[:5])
        more = f", ... ({v.size} values)" if v.size > 5 else ""
        return f"Empirical([{shown}{more}])"
