"""The platform model on its own: placement, keep-alive, limits, scaling, provisioned concurrency."""

from __future__ import annotations

import pytest

from minilambda.model.platform import (ACCOUNT_LIMIT, RESERVED_LIMIT, SCALING_LIMIT, EnvState, Placement, Platform,
                                 Throttle)


@pytest.mark.parametrize("policy,expected", [("newest", "env-3"), ("mru", "env-3"), ("lru", "env-2")])
def test_placement_policies_pick_the_documented_environment(policy, expected):
    """Three environments released at t=10 (env-2), 11 (env-1), 12 (env-3): who serves the next request?"""
    p = Platform(placement=policy, keep_alive=None)
    pool = p.pool("f")
    e1, e2, e3 = (p.acquire(pool, 0.0) for _ in range(3))
    assert [e.id for e in (e1, e2, e3)] == ["env-1", "env-2", "env-3"] and all(e.cold for e in (e1, e2, e3))
    p.release(e2, 10.0)
    p.release(e1, 11.0)
    p.release(e3, 12.0)
    chosen = p.acquire(pool, 20.0)
    assert not chosen.cold
    assert chosen.id == expected


def test_mru_and_newest_differ_when_creation_and_use_orders_differ():
    p_new, p_mru = Platform(placement="newest", keep_alive=None), Platform(placement="mru", keep_alive=None)
    picks = []
    for p in (p_new, p_mru):
        pool = p.pool("f")
        e1, e2 = p.acquire(pool, 0.0), p.acquire(pool, 0.0)
        p.release(e2, 1.0)
        p.release(e1, 2.0)  # env-1 used last, env-2 created last
        picks.append(p.acquire(pool, 3.0).id)
    assert picks == ["env-2", "env-1"]


def test_random_placement_is_seeded():
    def run(seed):
        p = Platform(placement="random", keep_alive=None, seed=seed)
        pool = p.pool("f")
        envs = [p.acquire(pool, 0.0) for _ in range(8)]
        for i, e in enumerate(envs):
            p.release(e, float(i))
        return [p.acquire(pool, 10.0).id for _ in range(4)]
    assert run(3) == run(3)
    assert len({tuple(run(s)) for s in range(6)}) > 1


def test_keep_alive_reclaims_after_last_request_ends():
    p = Platform(keep_alive=600)
    pool = p.pool("f")
    e = p.acquire(pool, 0.0)
    p.release(e, 2.0)
    assert p.next_expiry() == 602.0
    assert p.expire(601.9) == [] and p.acquire(pool, 601.9) is e and not e.cold
    p.release(e, 603.0)
    assert p.expire(1203.0) == [e] and e.state is EnvState.STOPPED
    fresh = p.acquire(pool, 1203.0)
    assert fresh is not e and fresh.cold
    assert p.live == 1


def test_unknown_placement_names_the_choices():
    with pytest.raises(ValueError, match="newest, mru, lru, random"):
        Placement("fifo")


def test_account_limit_throttles_with_aws_reason():
    p = Platform(account_concurrency=3, min_unreserved=0)
    pool = p.pool("f")
    envs = [p.acquire(pool, 0.0) for _ in range(3)]
    assert all(not isinstance(e, Throttle) for e in envs)
    assert p.acquire(pool, 0.0) is ACCOUNT_LIMIT
    assert ACCOUNT_LIMIT.reason == "ConcurrentInvocationLimitExceeded"
    p.release(envs[0], 1.0)
    assert not isinstance(p.acquire(pool, 1.0), Throttle)


def test_reserved_concurrency_caps_function_and_shrinks_unreserved_pool():
    p = Platform(account_concurrency=200)
    a, b = p.pool("a"), p.pool("b")
    p.set_reserved("a", 2)
    assert p.unreserved_limit == 198
    assert not isinstance(p.acquire(a, 0), Throttle) and not isinstance(p.acquire(a, 0), Throttle)
    assert p.acquire(a, 0) is RESERVED_LIMIT
    assert RESERVED_LIMIT.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert not isinstance(p.acquire(b, 0), Throttle)
    with pytest.raises(ValueError, match=r"minimum value of \[100\]"):
        p.set_reserved("b", 99)
    p.set_reserved("a", 0)
    assert p.acquire(a, 1) is RESERVED_LIMIT


def test_provisioned_counts_against_reservation_and_spills_over():
    p = Platform(account_concurrency=1000)
    p.set_reserved("f", 1)
    latest, v1 = p.pool("f", "$LATEST"), p.pool("f", "1")
    envs = p.set_provisioned("f", "1", "1", 1, 0.0)
    for e in envs:
        p.ready(e, 0.0)
    pc = p.provisioned_pool("f", "1")
    # Reservation 1 is taken by the provisioned environment even while it is idle.
    assert p.acquire(latest, 1.0) is RESERVED_LIMIT
    got = p.acquire(v1, 1.0, pc)
    assert got is envs[0] and got.kind == "provisioned-concurrency" and not got.cold
    p.set_reserved("f", 5)
    spill = p.acquire(v1, 1.0, pc)
    assert not isinstance(spill, Throttle) and spill.kind == "on-demand" and spill.cold


def test_provisioned_environments_are_never_reclaimed_for_idleness():
    p = Platform(keep_alive=10)
    envs = p.set_provisioned("f", "live", "1", 2, 0.0)
    for e in envs:
        p.ready(e, 0.0)
    pc = p.provisioned_pool("f", "live")
    e = p.acquire(p.pool("f", "1"), 1.0, pc)
    p.release(e, 2.0)
    assert p.expire(10_000.0) == []
    assert len(pc.envs) == 2


def test_scaling_rate_adds_1000_environments_per_10_seconds():
    p = Platform(account_concurrency=100_000, min_unreserved=0)
    pool = p.pool("f")
    got = [p.acquire(pool, 0.0) for _ in range(1200)]
    created = sum(1 for e in got if not isinstance(e, Throttle))
    assert created == 1000
    assert got[-1] is SCALING_LIMIT
    later = [p.acquire(pool, 1.0) for _ in range(200)]
    assert sum(1 for e in later if not isinstance(e, Throttle)) == 100  # refilled at 100 per second


def test_max_environments_reclaims_idle_of_another_function_then_throttles():
    p = Platform(max_environments=2, keep_alive=600)
    a, b = p.pool("a"), p.pool("b")
    ea = p.acquire(a, 0.0)
    p.release(ea, 1.0)
    eb1 = p.acquire(b, 2.0)
    eb2 = p.acquire(b, 2.0)  # needs room: a's idle environment is reclaimed
    assert ea.state is EnvState.STOPPED and not isinstance(eb2, Throttle)
    assert p.acquire(b, 2.0) is ACCOUNT_LIMIT
    assert p.live == 2 and eb1 is not eb2


def test_reset_environment_needs_init_again():
    p = Platform()
    pool = p.pool("f")
    e = p.acquire(pool, 0.0)
    p.release(e, 1.0, reset=True)
    again = p.acquire(pool, 2.0)
    assert again is e and again.cold


def test_retire_stops_idle_now_and_busy_on_release():
    p = Platform()
    pool = p.pool("f")
    e1, e2 = p.acquire(pool, 0.0), p.acquire(pool, 0.0)
    p.release(e1, 1.0)
    stopped = p.retire("f")
    assert stopped == [e1] and e2.state is EnvState.BUSY
    assert p.release(e2, 2.0) is False and e2.state is EnvState.STOPPED
    assert p.live == 0 and p.busy == 0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("policy", ["newest", "mru", "lru", "random"])
def test_random_operations_keep_the_books_consistent(seed, policy):
    """Thousands of random acquires, releases, resets, expiries, reservations and provisioned
    changes: the platform's counters always equal what its environments say, and no limit is
    ever exceeded."""
    import random
    rng = random.Random(seed)
    p = Platform(account_concurrency=50, keep_alive=rng.choice([0.0, 5.0, 30.0, None]), placement=policy,
                 max_environments=rng.choice([None, 40]), seed=seed, min_unreserved=10)
    names = ["a", "b", "c"]
    versions = {n: p.pool(n) for n in names}
    busy: list = []
    now = 0.0
    for step in range(3000):
        now += rng.expovariate(20.0)
        op = rng.random()
        name = rng.choice(names)
        if op < 0.45:
            prov = p.provisioned_pool(name, "live") if rng.random() < 0.5 else None
            got = p.acquire(versions[name], now, prov)
            if not isinstance(got, Throttle):
                busy.append(got)
        elif op < 0.85 and busy:
            env = busy.pop(rng.randrange(len(busy)))
            p.release(env, now, reset=rng.random() < 0.1)
        elif op < 0.9:
            p.expire(now)
        elif op < 0.95:
            value = rng.choice([None, 0, 3, 10])
            if value is None or p.check_reservation(name, value) is None:
                p.set_reserved(name, value, now)
        else:
            target = rng.choice([0, 1, 2])
            fl = p.limits(name, now)
            if fl.reserved is None or target <= fl.reserved:
                for env in p.set_provisioned(name, "live", "$LATEST", target, now):
                    p.ready(env, now)
        envs = list(p.environments())
        assert p.live == len(envs), f"step {step}: live counter {p.live} != {len(envs)} environments"
        assert p.busy == len(busy) == sum(1 for e in envs if e.state is EnvState.BUSY), f"step {step}: busy books"
        assert p.busy <= p.account_concurrency
        for fl in p.functions.values():
            assert fl.on_demand_busy >= 0 and fl.provisioned_busy >= 0 and fl.provisioned_allocated >= 0
        if op < 0.45 and not isinstance(got, Throttle) and got.kind == "on-demand":
            fl = p.functions[name]
            if fl.reserved is not None:
                assert fl.on_demand_busy + fl.provisioned_allocated <= fl.reserved, \
                    f"step {step}: {name} was admitted beyond its reservation"
        unreserved = sum(fl.on_demand_busy + fl.provisioned_allocated for fl in p.functions.values() if fl.reserved is None)
        assert p.unreserved_in_use == unreserved, f"step {step}: unreserved books {p.unreserved_in_use} != {unreserved}"
        if p.max_environments is not None and op < 0.45 and not isinstance(got, Throttle) and got.cold:
            on_demand = sum(len(pl.envs) for pl in p.pools.values() if pl.kind == "on-demand")
            assert on_demand <= p.max_environments, f"step {step}: {on_demand} on-demand environments"
    for env in busy:
        p.release(env, now + 1)
    assert p.busy == 0
