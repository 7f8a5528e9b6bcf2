"""``minilambda.sim``: synthetic workloads run through the shared platform model, fast.

>>> from minilambda.sim import simulate, Poisson, Exponential
>>> r = simulate(arrivals=Poisson(rate=0.9), warm=Exponential(mean=1.991),
...              cold=Exponential(mean=2.244), keep_alive=600, duration=3600, seed=1)
>>> r.summary.requests > 0
True
"""

from .arrivals import ArrivalProcess, Bursty, Deterministic, Diurnal, Poisson, Replay
from .distributions import Constant, Distribution, Empirical, Exponential, LogNormal
from .engine import SIMFAAS_DEFAULTS, Series, SimulationResult, Summary, simulate
from .memory import VCPU_MEMORY_MB, DurationModel, scale_for_memory

__all__ = [
    "simulate", "SimulationResult", "Summary", "Series", "SIMFAAS_DEFAULTS",
    "ArrivalProcess", "Poisson", "Deterministic", "Bursty", "Diurnal", "Replay",
    "Distribution", "Exponential", "Constant", "LogNormal", "Empirical",
    "DurationModel", "scale_for_memory", "VCPU_MEMORY_MB",
]
