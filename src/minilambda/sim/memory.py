"""How a function's duration scales with its memory setting.

Lambda gives a function CPU in proportion to its memory: one full vCPU at 1,769 MB (AWS:
https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). Above that a function
gets more vCPUs (up to 6 at 10,240 MB), which only a multi-threaded handler can use.

Simplification: the model is single-threaded, so CPU-bound work speeds up in proportion to
memory up to 1,769 MB and not beyond; the rest of the duration (waiting on I/O) does not change.
Both the simulator and the real Cloud use these helpers.

>>> scale_for_memory(1.0, 884.5)           # half a vCPU: twice as long
2.0
>>> scale_for_memory(1.0, 884.5, cpu_bound_fraction=0.5)
1.5
"""

from __future__ import annotations

import math

__all__ = ["DurationModel", "scale_for_memory", "VCPU_MEMORY_MB", "MIN_MEMORY_MB", "MAX_MEMORY_MB"]

VCPU_MEMORY_MB = 1769  # memory at which a function has one full vCPU
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10240


def check_memory(memory_mb: object, name: str = "memory_mb") -> int:
    """*memory_mb* as an int, or a ValueError naming AWS's valid range (128-10240 MB)."""
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, (int, float)) or memory_mb != int(memory_mb) \
            or not MIN_MEMORY_MB <= memory_mb <= MAX_MEMORY_MB:
        msg = (f"{name} must be a whole number of MB between {MIN_MEMORY_MB} and {MAX_MEMORY_MB} "
               f"({MIN_MEMORY_MB} <= {name} <= {MAX_MEMORY_MB}), got {memory_mb!r}")
        raise ValueError(msg)
    return int(memory_mb)


def _cpu_share(memory_mb: float) -> float:
    return min(memory_mb, VCPU_MEMORY_MB) / VCPU_MEMORY_MB


class DurationModel:
    """How duration scales with memory: ``cpu_bound_fraction`` of it with the CPU share.

    Args:
        ref_memory_mb: the memory at which durations were measured (default 1,769 MB).
        cpu_bound_fraction: the share of the duration that is CPU work (0: pure I/O, the duration
            never changes; 1: pure computation).
    """

    __slots__ = ("ref_memory_mb", "cpu_bound_fraction")

    def __init__(self, ref_memory_mb: float = VCPU_MEMORY_MB, cpu_bound_fraction: float = 1.0) -> None:
        if isinstance(ref_memory_mb, bool) or not isinstance(ref_memory_mb, (int, float)) \
                or not MIN_MEMORY_MB <= ref_memory_mb <= MAX_MEMORY_MB:
            msg = (f"ref_memory_mb must be between {MIN_MEMORY_MB} and {MAX_MEMORY_MB} MB "
                   f"({MIN_MEMORY_MB} <= ref_memory_mb <= {MAX_MEMORY_MB}), got {ref_memory_mb!r}")
            raise ValueError(msg)
        f = cpu_bound_fraction
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not math.isfinite(f) or not 0 <= f <= 1:
            msg = f"cpu_bound_fraction must be a fraction (0 <= cpu_bound_fraction <= 1), got {cpu_bound_fraction!r}"
            raise ValueError(msg)
        self.ref_memory_mb = ref_memory_mb
        self.cpu_bound_fraction = float(f)

    def factor(self, memory_mb: float) -> float:
        """By how much a duration measured at ``ref_memory_mb`` is multiplied at *memory_mb*."""
        if isinstance(memory_mb, bool) or not isinstance(memory_mb, (int, float)) \
                or not MIN_MEMORY_MB <= memory_mb <= MAX_MEMORY_MB:
            msg = (f"memory_mb must be between {MIN_MEMORY_MB} and {MAX_MEMORY_MB} MB "
                   f"({MIN_MEMORY_MB} <= memory_mb <= {MAX_MEMORY_MB}), got {memory_mb!r}")
            raise ValueError(msg)
        cpu = _cpu_share(self.ref_memory_mb) / _cpu_share(memory_mb)
        f = self.cpu_bound_fraction
        return f * cpu + (1.0 - f)

    def scale(self, duration_at_ref: float, memory_mb: float) -> float:
        """The duration at *memory_mb* of work that takes *duration_at_ref* at the reference memory."""
        return duration_at_ref * self.factor(memory_mb)

    def __repr__(self) -> str:
        return f"DurationModel(ref_memory_mb={self.ref_memory_mb!r}, cpu_bound_fraction={self.cpu_bound_fraction!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DurationModel) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


def scale_for_memory(duration_at_ref: float, memory: float, ref_memory: float = VCPU_MEMORY_MB,
                     cpu_bound_fraction: float = 1.0) -> float:
    """The duration at *memory* MB of work that takes *duration_at_ref* at *ref_memory* MB.

    CPU share is proportional to memory, one vCPU at 1,769 MB; only ``cpu_bound_fraction`` of
    the duration scales.
    """
    return DurationModel(ref_memory, cpu_bound_fraction).scale(duration_at_ref, memory)
