"""The platform model: environments, placement, keep-alive, concurrency, scaling and throttling.

No I/O and no clock reads: every decision takes ``now`` from its caller. ``limits`` holds AWS's quotas.
"""

from .platform import Environment, EnvState, Placement, Platform, Throttle

__all__ = ["EnvState", "Environment", "Placement", "Platform", "Throttle"]
