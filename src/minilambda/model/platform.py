"""The platform model: execution environments, placement, keep-alive, concurrency and throttling.

One implementation drives both clocks. The real runtime asks it which environment serves a
request (and attaches a process to it); the simulator asks it the same thing for synthetic
requests. The model does no I/O, never sleeps and never reads the time: every method takes
``now`` from the caller's clock. Given the same calls it makes the same decisions.

Rules (AWS: https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html and
https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html):

* One environment serves one request at a time; concurrency = busy environments.
* Account limit (default 1,000); reserved concurrency caps a function and is subtracted from the
  account's unreserved pool, which must keep at least 100. Reserved 0 throttles every request.
* Provisioned environments are initialised ahead of time, never reclaimed for idleness, count
  against the function's reservation all the time, and spill over to on-demand when all are busy.
* Scaling rate: each function may add 1,000 environments every 10 s (a token bucket refilled
  continuously at 100 per second).
* An idle environment is reclaimed ``keep_alive`` seconds after its last request ended.
  Simplification: AWS does not document its idle period; 600 s is the value measured in the
  published SimFaaS experiments and is the default here.
"""

from __future__ import annotations

import heapq
from abc import ABC, abstractmethod
import random as _random
from collections import OrderedDict, deque
from enum import Enum
from typing import Iterator

from .limits import (ACCOUNT_CONCURRENCY, DEFAULT_KEEP_ALIVE_S, MIN_UNRESERVED, ON_DEMAND, PROVISIONED,
                     SCALING_BURST, SCALING_REFILL_PER_S)


class EnvState(str, Enum):
    """Where an execution environment is in its life."""

    BUSY = "busy"  # initialising or invoking
    IDLE = "idle"  # frozen, waiting for the next request
    STOPPED = "stopped"  # reclaimed or retired


class Throttle:
    """A decision not to run a request, with AWS's ``Reason`` for the 429."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Throttle({self.reason!r})"


# Plain module constants: reading an Enum member costs ~150 ns on Python 3.11, a global ~25 ns.
_BUSY, _IDLE, _STOPPED = EnvState.BUSY, EnvState.IDLE, EnvState.STOPPED

RESERVED_LIMIT = Throttle("ReservedFunctionConcurrentInvocationLimitExceeded")
ACCOUNT_LIMIT = Throttle("ConcurrentInvocationLimitExceeded")
# Simplification: AWS documents 429 for requests beyond the scaling rate but not the Reason
# it sends; this is the closest value in botocore's ThrottleReason enum.
SCALING_LIMIT = Throttle("FunctionInvocationRateLimitExceeded")


class Environment:
    """One execution environment in the model (a process is attached by the real runtime)."""

    __slots__ = (
        "id", "seq", "pool", "state", "kind", "created_at", "last_end", "gen", "invocations",
        "initialized", "cold", "handle", "busy_since",
    )

    def __init__(self, env_id: str, seq: int, pool: "Pool", kind: str, now: float) -> None:
        self.id = env_id
        self.seq = seq  # creation order: larger = newer
        self.pool = pool
        self.kind = kind
        self.state = _BUSY
        self.created_at = now
        self.last_end = now
        self.busy_since = now
        self.gen = 0
        self.invocations = 0
        self.initialized = False
        self.cold = True  # whether the request it is serving now starts it (needs INIT)
        self.handle = None  # the runtime's process, if any

    @property
    def function_name(self) -> str:
        return self.pool.function_name

    @property
    def version(self) -> str:
        return self.pool.version

    def __repr__(self) -> str:
        return f"Environment({self.id!r}, {self.pool.function_name}:{self.pool.version}, {self.state.value})"


# ---------------------------------------------------------------------------------------------
# Placement: which idle environment serves a warm start.


class IdleSet(ABC):
    """The idle environments of one pool, in the order a placement policy picks them."""

    @abstractmethod
    def add(self, env: Environment) -> None:
        """Put *env* (just released) among the idle ones."""

    @abstractmethod
    def take(self) -> Environment | None:
        """Remove and return the idle environment the policy picks, or None."""

    def discard(self, env: Environment) -> None:
        """Forget *env* (it was reclaimed); most sets skip stale entries lazily."""

    def __len__(self) -> int:
        return self.count

    count = 0


class _DequeIdle(IdleSet):
    __slots__ = ("q", "count", "from_right")

    def __init__(self, from_right: bool) -> None:
        self.q: deque = deque()
        self.count = 0
        self.from_right = from_right

    def add(self, env: Environment) -> None:
        self.q.append((env, env.gen))
        self.count += 1

    def take(self) -> Environment | None:
        q = self.q
        pop = q.pop if self.from_right else q.popleft
        while q:
            env, gen = pop()
            if env.gen == gen and env.state is _IDLE:
                self.count -= 1
                return env
        return None

    def discard(self, env: Environment) -> None:
        self.count -= 1
        q = self.q
        # Reclaimed environments are the least recently used: drop stale entries at the left.
        while q and (q[0][0].state is not _IDLE or q[0][0].gen != q[0][1]):
            q.popleft()


class _NewestIdle(IdleSet):
    __slots__ = ("heap", "count")

    def __init__(self) -> None:
        self.heap: list = []
        self.count = 0

    def add(self, env: Environment) -> None:
        heapq.heappush(self.heap, (-env.seq, env.gen, env))
        self.count += 1

    def take(self) -> Environment | None:
        heap = self.heap
        while heap:
            _, gen, env = heapq.heappop(heap)
            if env.gen == gen and env.state is _IDLE:
                self.count -= 1
                return env
        return None

    def discard(self, env: Environment) -> None:
        self.count -= 1
        if len(self.heap) > 2 * self.count + 32:  # keep memory flat: drop stale entries
            self.heap = [e for e in self.heap if e[2].gen == e[1] and e[2].state is _IDLE]
            heapq.heapify(self.heap)


class _RandomIdle(IdleSet):
    __slots__ = ("items", "index", "count", "rng")

    def __init__(self, rng: _random.Random) -> None:
        self.items: list[Environment] = []
        self.index: dict[str, int] = {}
        self.rng = rng
        self.count = 0

    def add(self, env: Environment) -> None:
        self.index[env.id] = len(self.items)
        self.items.append(env)
        self.count += 1

    def _remove_at(self, i: int) -> Environment:
        items = self.items
        env = items[i]
        last = items.pop()
        if last is not env:
            items[i] = last
            self.index[last.id] = i
        del self.index[env.id]
        self.count -= 1
        return env

    def take(self) -> Environment | None:
        if not self.items:
            return None
        return self._remove_at(int(self.rng.random() * len(self.items)))

    def discard(self, env: Environment) -> None:
        i = self.index.get(env.id)
        if i is not None:
            self._remove_at(i)


class Placement:
    """A placement policy: which idle environment a warm request gets.

    * ``newest``: the most recently *created* idle environment (the default, as in the published
      SimFaaS model); older environments then stay idle and are reclaimed first.
    * ``mru``: the most recently *used* one. ``lru``: the least recently used one.
    * ``random``: any idle one, chosen with the platform's seeded generator.

    Simplification: AWS does not document its placement; these are models to compare.
    """

    names = ("newest", "mru", "lru", "random")

    def __init__(self, name: str = "newest") -> None:
        if name not in self.names:
            msg = f"unknown placement policy {name!r}; choose one of {', '.join(self.names)}"
            raise ValueError(msg)
        self.name = name

    def idle_set(self, rng: _random.Random) -> IdleSet:
        if self.name == "newest":
            return _NewestIdle()
        if self.name == "mru":
            return _DequeIdle(from_right=True)
        if self.name == "lru":
            return _DequeIdle(from_right=False)
        return _RandomIdle(rng)

    def __repr__(self) -> str:
        return f"Placement({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Placement) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


# ---------------------------------------------------------------------------------------------
# Pools and limits.


class Pool:
    """The environments of one function version (or of one provisioned-concurrency qualifier)."""

    __slots__ = ("function_name", "version", "kind", "qualifier", "idle", "envs", "limits", "retired",
                 "target")

    def __init__(self, function_name: str, version: str, kind: str, qualifier: str | None,
                 idle: IdleSet, limits: "FunctionLimits") -> None:
        self.function_name = function_name
        self.version = version
        self.kind = kind
        self.qualifier = qualifier
        self.idle = idle
        self.envs: dict[str, Environment] = {}
        self.limits = limits
        self.retired = False
        self.target: int | None = None  # provisioned pools: how many environments to keep

    @property
    def busy(self) -> int:
        return len(self.envs) - len(self.idle)

    def __repr__(self) -> str:
        return (f"Pool({self.function_name}:{self.version}, {self.kind}, envs={len(self.envs)}, "
                f"idle={len(self.idle)})")


class FunctionLimits:
    """Concurrency book-keeping for one function (all its versions and aliases)."""

    __slots__ = ("name", "reserved", "on_demand_busy", "provisioned_busy", "provisioned_allocated",
                 "tokens", "refilled_at")

    def __init__(self, name: str, now: float) -> None:
        self.name = name
        self.reserved: int | None = None
        self.on_demand_busy = 0
        self.provisioned_busy = 0
        self.provisioned_allocated = 0
        self.tokens = float(SCALING_BURST)
        self.refilled_at = now

    @property
    def concurrency(self) -> int:
        """Environments busy right now (what CloudWatch's ConcurrentExecutions counts)."""
        return self.on_demand_busy + self.provisioned_busy

    @property
    def in_use(self) -> int:
        """What counts against a reservation: busy on-demand plus all allocated provisioned."""
        return self.on_demand_busy + self.provisioned_allocated


class Platform:
    """The rules of the Lambda platform, for any number of functions, on any clock.

    Args:
        account_concurrency: the account's concurrency limit (AWS default 1,000).
        keep_alive: seconds an idle environment lives after its last request (None: forever).
        placement: a ``Placement`` or its name.
        max_environments: a cap on live environments (busy + idle). When a new one is needed at
            the cap, an idle one of any function is reclaimed; if none is idle, the request is
            throttled as by the account limit.
        scaling: whether to apply the per-function scaling rate.
        seed: seeds the generator used by the ``random`` placement.
        min_unreserved: what reservations must leave unreserved (AWS: 100).
    """

    def __init__(self, *, account_concurrency: int = ACCOUNT_CONCURRENCY,
                 keep_alive: float | None = DEFAULT_KEEP_ALIVE_S,
                 placement: Placement | str = "newest", max_environments: int | None = None,
                 scaling: bool = True, seed: int | None = None,
                 min_unreserved: int = MIN_UNRESERVED, id_prefix: str = "env") -> None:
        if account_concurrency < 1:
            msg = f"account_concurrency must be at least 1, got {account_concurrency!r}"
            raise ValueError(msg)
        if keep_alive is not None and keep_alive < 0:
            msg = f"keep_alive must be >= 0 seconds (or None for never), got {keep_alive!r}"
            raise ValueError(msg)
        if max_environments is not None and max_environments < 1:
            msg = f"max_environments must be at least 1, got {max_environments!r}"
            raise ValueError(msg)
        self.account_concurrency = account_concurrency
        self.keep_alive = keep_alive
        self.placement = placement if isinstance(placement, Placement) else Placement(placement)
        self.max_environments = max_environments
        self.scaling = scaling
        self.min_unreserved = min(min_unreserved, account_concurrency)
        self.rng = _random.Random(seed)
        self._id_prefix = id_prefix
        self._seq = 0
        self.functions: dict[str, FunctionLimits] = {}
        self.pools: dict[tuple, Pool] = {}
        self.reserved_total = 0
        self.unreserved_in_use = 0  # busy on-demand + allocated provisioned of unreserved functions
        self.live = 0  # live environments (busy + idle)
        self.busy = 0  # busy environments, all functions
        # Idle on-demand environments -> when their keep-alive runs out, in release order (so the
        # first entry is always the next to expire). Bounded by the number of idle environments.
        self._expiry: OrderedDict[Environment, float] = OrderedDict()

    # -- set-up ------------------------------------------------------------------------------

    def limits(self, function_name: str, now: float = 0.0) -> FunctionLimits:
        fl = self.functions.get(function_name)
        if fl is None:
            fl = self.functions[function_name] = FunctionLimits(function_name, now)
        return fl

    def pool(self, function_name: str, version: str = "$LATEST", now: float = 0.0) -> Pool:
        """The on-demand pool of a function version (created on first use)."""
        key = (function_name, version, None)
        p = self.pools.get(key)
        if p is None:
            p = self.pools[key] = Pool(function_name, version, ON_DEMAND, None,
                                       self.placement.idle_set(self.rng), self.limits(function_name, now))
        return p

    def provisioned_pool(self, function_name: str, qualifier: str) -> Pool | None:
        return self.pools.get((function_name, None, qualifier))

    @property
    def unreserved_limit(self) -> int:
        return self.account_concurrency - self.reserved_total

    def check_reservation(self, function_name: str, reserved: int) -> str | None:
        """Why *reserved* is not allowed for the function (AWS's message), or None."""
        fl = self.functions.get(function_name)
        current = fl.reserved or 0 if fl else 0
        if self.reserved_total - current + reserved > self.account_concurrency - self.min_unreserved:
            return ("Specified ReservedConcurrentExecutions for function decreases account's "
                    f"UnreservedConcurrentExecution below its minimum value of [{self.min_unreserved}].")
        if fl is not None and fl.provisioned_allocated > reserved:
            return ("Requested Provisioned Concurrency should not be greater than the "
                    "reservedConcurrentExecution for function")
        return None

    def set_reserved(self, function_name: str, reserved: int | None, now: float = 0.0) -> None:
        """Reserve concurrency for a function (None removes the reservation)."""
        fl = self.limits(function_name, now)
        if reserved is not None:
            problem = self.check_reservation(function_name, reserved)
            if problem:
                raise ValueError(problem)
        if fl.reserved is None:
            self.unreserved_in_use -= fl.in_use
        else:
            self.reserved_total -= fl.reserved
        fl.reserved = reserved
        if reserved is None:
            self.unreserved_in_use += fl.in_use
        else:
            self.reserved_total += reserved

    def set_provisioned(self, function_name: str, qualifier: str, version: str, count: int,
                        now: float) -> list[Environment]:
        """Allocate *count* provisioned environments for a qualifier; returns the new ones.

        They start BUSY (initialising); call ``ready(env, now)`` when their INIT is done. Lowering
        the count reclaims idle provisioned environments at once and busy ones when they finish.
        """
        fl = self.limits(function_name, now)
        key = (function_name, None, qualifier)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = Pool(function_name, version, PROVISIONED, qualifier,
                                          _DequeIdle(from_right=True), fl)
        pool.target = count
        created: list[Environment] = []
        for _ in range(count - len(pool.envs)):
            env = self._new_env(pool, now, busy=False)  # initialising is not concurrency
            env.kind = PROVISIONED
            fl.provisioned_allocated += 1
            if fl.reserved is None:
                self.unreserved_in_use += 1
            created.append(env)
        if len(pool.envs) > count:  # lower: idle extras stop now, busy ones when released
            for env in list(pool.envs.values())[::-1]:
                if len(pool.envs) <= count:
                    break
                if env.state is _IDLE:
                    pool.idle.discard(env)
                    self._stop(env, when=now)
        if count == 0 and not pool.envs:
            del self.pools[key]
        return created

    # -- the hot path: acquire and release ---------------------------------------------------

    def acquire(self, pool: Pool, now: float, provisioned: Pool | None = None) -> Environment | Throttle:
        """Pick the environment for one request, or decide to throttle it.

        Order: an idle provisioned environment; else the limits (reserved, then account); else
        an idle on-demand environment (placement policy); else a new one (a cold start), which
        needs room under ``max_environments`` and a scaling token.
        The returned environment's ``cold`` says whether this request pays an INIT.
        """
        expiry = self._expiry
        if expiry and expiry[next(iter(expiry))] <= now:
            self.expire(now)
        fl = pool.limits
        if provisioned is not None:
            env = provisioned.idle.take()
            if env is not None:
                env.state = _BUSY
                env.busy_since = now
                env.cold = not env.initialized
                fl.provisioned_busy += 1
                self.busy += 1
                return env
        reserved = fl.reserved
        if reserved is not None:
            if fl.on_demand_busy + fl.provisioned_allocated >= reserved:
                return RESERVED_LIMIT
        elif self.unreserved_in_use >= self.account_concurrency - self.reserved_total:
            return ACCOUNT_LIMIT
        if self.busy >= self.account_concurrency:  # never more busy than the account allows
            return ACCOUNT_LIMIT
        env = pool.idle.take()
        if env is None:
            if self.max_environments is not None and self.live >= self.max_environments:
                if not self._reclaim_one_idle(now):
                    return ACCOUNT_LIMIT
            if self.scaling:
                tokens = fl.tokens + (now - fl.refilled_at) * SCALING_REFILL_PER_S
                fl.refilled_at = now
                if tokens > SCALING_BURST:
                    tokens = SCALING_BURST
                if tokens < 1.0:
                    fl.tokens = tokens
                    return SCALING_LIMIT
                fl.tokens = tokens - 1.0
            env = self._new_env(pool, now)
        else:
            expiry.pop(env, None)
            env.state = _BUSY
            env.busy_since = now
            env.cold = not env.initialized
            self.busy += 1
        fl.on_demand_busy += 1
        if reserved is None:
            self.unreserved_in_use += 1
        return env

    def release(self, env: Environment, now: float, *, reset: bool = False) -> bool:
        """The request on *env* ended at *now*. Returns False if the environment was stopped.

        ``reset=True`` (after a timeout, crash or out-of-memory) keeps the environment but marks
        it for a fresh INIT on its next request, as AWS does (its /tmp survives).
        """
        pool = env.pool
        fl = pool.limits
        self.busy -= 1
        if env.kind == PROVISIONED:
            fl.provisioned_busy -= 1
        else:
            fl.on_demand_busy -= 1
            if fl.reserved is None:
                self.unreserved_in_use -= 1
        env.invocations += 1
        env.initialized = not reset
        env.last_end = now
        if pool.retired or (pool.target is not None and len(pool.envs) > pool.target):
            env.state = _IDLE  # no longer busy: _stop must not count it twice
            self._stop(env)
            return False
        env.state = _IDLE
        env.gen += 1
        pool.idle.add(env)
        if env.kind != PROVISIONED and self.keep_alive is not None:
            self._expiry[env] = now + self.keep_alive
        return True

    def ready(self, env: Environment, now: float) -> None:
        """A provisioned environment finished its INIT ahead of any request."""
        if env.state is _STOPPED:
            return
        env.initialized = True
        env.state = _IDLE
        env.last_end = now
        env.gen += 1
        env.pool.idle.add(env)

    def discard(self, env: Environment, now: float) -> None:
        """Stop a busy environment outright (it will not be reused), releasing its concurrency."""
        if env.state is _BUSY:
            self.release(env, now, reset=True)
        if env.state is _IDLE:
            env.pool.idle.discard(env)
        self._stop(env)

    # -- keep-alive --------------------------------------------------------------------------

    def next_expiry(self) -> float | None:
        """When the next idle environment is due to be reclaimed, or None."""
        q = self._expiry
        return q[next(iter(q))] if q else None

    def expire(self, now: float) -> list[Environment]:
        """Reclaim every idle environment whose keep-alive ran out at or before *now*."""
        q = self._expiry
        out = []
        while q:
            env = next(iter(q))
            due = q[env]
            if due > now:
                break
            del q[env]
            env.pool.idle.discard(env)
            self._stop(env, when=due)
            out.append(env)
        return out

    def retire(self, function_name: str, version: str | None = None) -> list[Environment]:
        """Stop using the environments of a function (or one version): code or config changed.

        Idle ones stop now (returned); busy ones stop when their request ends.
        """
        out = []
        for key, pool in list(self.pools.items()):
            if key[0] != function_name or (version is not None and pool.version != version):
                continue
            pool.retired = True
            for env in list(pool.envs.values()):
                if env.state is _IDLE:
                    pool.idle.discard(env)
                    self._stop(env)
                    out.append(env)
            del self.pools[key]
        return out

    def forget(self, function_name: str) -> list[Environment]:
        """Remove a deleted function: retire its environments and its limits."""
        out = self.retire(function_name)
        fl = self.functions.pop(function_name, None)
        if fl is not None:
            if fl.reserved is not None:
                self.reserved_total -= fl.reserved
            else:
                self.unreserved_in_use -= fl.provisioned_allocated
        return out

    # -- helpers -----------------------------------------------------------------------------

    def _new_env(self, pool: Pool, now: float, busy: bool = True) -> Environment:
        self._seq += 1
        env = Environment(f"{self._id_prefix}-{self._seq}", self._seq, pool, ON_DEMAND, now)
        pool.envs[env.id] = env
        self.live += 1
        if busy:
            self.busy += 1
        else:
            env.state = _IDLE  # not yet in the idle set: it becomes usable at ready()
            env.gen += 1
        self.on_created(env, now)
        return env

    def _stop(self, env: Environment, when: float | None = None) -> None:
        if env.state is _STOPPED:
            return
        if env.state is _BUSY:
            self.busy -= 1
        env.state = _STOPPED
        env.gen += 1
        self._expiry.pop(env, None)
        pool = env.pool
        pool.envs.pop(env.id, None)
        self.live -= 1
        if env.kind == PROVISIONED:
            fl = pool.limits
            fl.provisioned_allocated -= 1
            if fl.reserved is None:
                self.unreserved_in_use -= 1
        self.on_stopped(env, env.last_end if when is None else when)

    def _reclaim_one_idle(self, now: float) -> bool:
        """Make room under max_environments by reclaiming the least recently used idle one."""
        q = self._expiry
        if not q:
            return False
        env = next(iter(q))
        del q[env]
        env.pool.idle.discard(env)
        self._stop(env, when=now)
        return True

    def environments(self) -> Iterator[Environment]:
        for pool in self.pools.values():
            yield from pool.envs.values()

    # Observers: the owner (a Cloud or a simulation) overrides these to attach processes,
    # kill them, or count lifetimes.
    def on_created(self, env: Environment, now: float) -> None:
        pass

    def on_stopped(self, env: Environment, when: float) -> None:
        pass

    def __repr__(self) -> str:
        return (f"Platform(account_concurrency={self.account_concurrency}, keep_alive={self.keep_alive}, "
                f"placement={self.placement.name!r}, live={self.live}, busy={self.busy})")
