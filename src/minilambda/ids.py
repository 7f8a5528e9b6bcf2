"""Identifiers: one seeded UUID helper for every service, so runs with a seed repeat exactly."""

from __future__ import annotations

import random
import uuid


def new_uuid(rng: random.Random | None = None) -> str:
    """A UUID v4 string; deterministic when *rng* is seeded."""
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
