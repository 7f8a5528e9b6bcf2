"""Declared durations: a simulator-only knob that replaces a function's measured duration."""

from __future__ import annotations

from typing import Any


class DeclaredDuration:
    """A duration drawn from *distribution* (seconds at *reference_memory* MB, or a number), scaled
    with memory by the simulator's ``DurationModel`` for the *cpu_bound* fraction of the time."""

    def __init__(self, distribution: Any, *, reference_memory: int = 1769, cpu_bound: float = 1.0,
                 seed: int | None = None) -> None:
        import numpy as np

        from ..sim.distributions import Distribution
        from ..sim.memory import DurationModel

        if not isinstance(distribution, (Distribution, int, float)):
            msg = f"distribution must be a minilambda.sim distribution or a number of seconds, got {distribution!r}"
            raise TypeError(msg)
        self.distribution = distribution
        self.model = DurationModel(reference_memory, cpu_bound)
        self.rng = np.random.default_rng(seed)  # the simulator's distributions draw from numpy

    def duration_ms(self, memory_mb: int) -> float:
        d = self.distribution
        seconds = float(d) if isinstance(d, (int, float)) else float(d.sample(self.rng))
        return self.model.scale(seconds, memory_mb) * 1000.0
