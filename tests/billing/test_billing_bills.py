"""Bills checked against hand computations (us-east-1 prices), to the cent and exactly."""

from __future__ import annotations

import json
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from minilambda.billing import (
    ApiGateway,
    Bill,
    BillingInputError,
    Provisioned,
    bill_invocations,
    bill_summary,
    billed_duration_ms,
    estimate,
    gb_seconds,
    init_is_billed,
)
from minilambda.records import Invocation, Outcome, RecordLog

X86 = D("0.0000166667")
X86_T2 = D("0.000015")
X86_T3 = D("0.0000133334")
ARM = D("0.0000133334")
ARM_T2 = D("0.0000120001")
REQ = D("0.0000002")
PC_X86 = D("0.0000041667")
PC_DUR_X86 = D("0.0000097222")
PC_ARM = D("0.0000033334")
PC_DUR_ARM = D("0.0000077778")
STORAGE = D("0.0000000309")


def inv(n: int = 0, *, fn: str = "f", duration_ms: float = 100.0, memory: int = 1024, cold: bool = False,
        init_ms: float = 0.0, outcome: Outcome = Outcome.SUCCESS, **kw) -> Invocation:
    return Invocation(request_id=f"r{n}", function_name=fn, version="$LATEST", start=0.0, end=0.1,
                      outcome=outcome, cold=cold, init_ms=init_ms, duration_ms=duration_ms,
                      memory_size_mb=memory, **kw)


def check_sums(bill: Bill) -> None:
    """Line items add up to the total; functions plus free-tier credits add up to it too."""
    assert sum(li.cost_usd for li in bill.line_items) == bill.total_usd
    for li in bill.line_items:
        assert li.quantity * li.unit_price_usd == li.cost_usd
    funcs = sum(f.cost_usd for f in bill.functions) + bill.total("free_tier")
    assert abs(funcs - bill.total_usd) < D("1e-20")
    json.dumps(bill.to_dict())


# -- the two worked examples of the brief ------------------------------------------------------


def test_one_million_requests_of_100_ms_at_512_mb():
    bill = estimate(1_000_000, 100, 512, "x86_64")
    # $0.20 + 50,000 GB-s x $0.0000166667 = $1.033335
    assert bill.item("Requests").cost_usd == D("0.20")
    compute = bill.item("Compute x86_64, tier 1")
    assert compute.quantity == 50_000
    assert compute.cost_usd == D("0.833335")
    assert bill.total_usd == D("1.033335")
    assert bill.total_cents == D("1.03")
    check_sums(bill)


def test_aws_pricing_page_example_with_free_tier():
    """3 M requests of 1 s at 512 MB with the free tier: $18.73.

    1,500,000 GB-s - 400,000 free = 1,100,000 x $0.0000166667 = $18.33337; (3 M - 1 M) x $0.20/M =
    $0.40; total $18.73337 -> $18.73. AWS's page prints "$18.34 + $0.40" because it rounds the
    price to $0.00001667 (1,100,000 x 0.00001667 = 18.337); the price list's rate is $0.0000166667.
    """
    bill = estimate(3_000_000, 1000, 512, free_tier=True)
    assert bill.total_usd == D("18.73337")
    assert bill.total_cents == D("18.73")
    assert bill.total("requests") + bill.item("Free tier: requests").cost_usd == D("0.40")
    compute = bill.total("compute") + bill.item("Free tier: compute x86_64").cost_usd
    assert compute == D("18.33337")
    # the page's rounded price reproduces its figure
    assert (D(1_100_000) * D("0.00001667")).quantize(D("0.01")) == D("18.34")
    check_sums(bill)


# -- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize("duration, billed", [(0.1, 1), (100.0, 100), (100.01, 101), (0, 0), (1, 1),
                                              (99.999, 100), (1000.5, 1001)])
def test_rounding_up_to_the_millisecond(duration, billed):
    assert billed_duration_ms(duration) == billed
    bill = estimate(1, duration, 1024)
    assert bill.assumptions["billed_ms_per_invocation"] == billed
    if billed:
        assert bill.item("Compute x86_64, tier 1").quantity == D(billed) / 1000


def test_rounding_is_per_invocation_not_on_the_total():
    # 1,000 invocations of 0.1 ms bill 1,000 ms, not ceil(100 ms)
    bill = estimate(1000, 0.1, 1024)
    assert bill.item("Compute x86_64, tier 1").quantity == 1
    records = [inv(i, duration_ms=0.1) for i in range(1000)]
    assert bill_invocations(records).item("Compute x86_64, tier 1").quantity == 1


def test_gb_is_memory_over_1024():
    assert gb_seconds(1000, 1024) == 1
    assert gb_seconds(100, 128) == D("0.0125")
    assert gb_seconds(1, 10240) == D("0.01")


# -- INIT ------------------------------------------------------------------------------------


def test_init_billed_since_august_2025_and_not_before():
    # 1,000 requests of 100 ms at 1 GB, 10% cold with 250.5 ms INIT
    on = estimate(1000, 100, 1024, init_ms=250.5, cold_start_ratio=0.1)
    off = estimate(1000, 100, 1024, init_ms=250.5, cold_start_ratio=0.1, bill_init=False)
    # cold: ceil(250.5 + 100) = 351 ms, of which 251 ms are INIT; 100 cold starts
    init = on.item("INIT x86_64, tier 1")
    assert init.quantity == D("25.1")  # 100 x 0.251 s x 1 GB
    assert on.item("Compute x86_64, tier 1").quantity == 100
    assert off.item("Compute x86_64, tier 1").quantity == 100
    assert off.total("init") == 0
    assert on.total_usd - off.total_usd == D("25.1") * X86
    assert on.total_usd == 1000 * REQ + D("125.1") * X86
    check_sums(on)


def test_init_rounding_is_on_the_sum():
    # ceil(0.4 + 0.4) = 1 ms, not ceil(0.4) + ceil(0.4) = 2 ms
    assert billed_duration_ms(0.4, 0.4) == 1
    bill = bill_invocations([inv(duration_ms=0.4, cold=True, init_ms=0.4)])
    assert bill.total("compute") + bill.total("init") == D("0.001") * X86


def test_init_from_records_on_and_off():
    records = [inv(0, cold=True, init_ms=300.2, duration_ms=50.3)] + \
              [inv(i, duration_ms=50.3) for i in range(1, 10)]
    on = bill_invocations(records)
    off = bill_invocations(records, bill_init=False)
    # each invocation bills ceil(50.3) = 51 ms; the cold one ceil(350.5) = 351 ms (300 ms of INIT)
    assert on.item("Compute x86_64, tier 1").quantity == D("0.51")
    assert on.item("INIT x86_64, tier 1").quantity == D("0.3")
    assert off.total("init") == 0
    assert off.item("Compute x86_64, tier 1").quantity == D("0.51")
    assert on.functions[0].cold_starts == 1
    check_sums(on)


@pytest.mark.parametrize("runtime", ["provided.al2023", "provided.al2", "provided"])
def test_custom_runtimes_always_bill_init(runtime):
    assert init_is_billed(runtime, bill_init=False)
    records = [inv(cold=True, init_ms=200, duration_ms=100, runtime=runtime)]
    off = bill_invocations(records, bill_init=False)
    assert off.item("INIT x86_64, tier 1").quantity == D("0.2")
    est = estimate(10, 100, 1024, init_ms=200, cold_start_ratio=1, bill_init=False, runtime=runtime)
    assert est.item("INIT x86_64, tier 1").quantity == 2
    managed = estimate(10, 100, 1024, init_ms=200, cold_start_ratio=1, bill_init=False)
    assert managed.total("init") == 0


# -- architectures and tiers -----------------------------------------------------------------


def test_arm64_is_cheaper_than_x86_64():
    x86 = estimate(1_000_000, 100, 512, "x86_64")
    arm = estimate(1_000_000, 100, 512, "arm64")
    assert arm.item("Compute arm64, tier 1").cost_usd == 50_000 * ARM == D("0.66667")
    assert arm.total_usd == D("0.86667")
    assert x86.total_usd - arm.total_usd == D("0.166665")


def test_x86_tier_boundary_at_6_billion_gb_seconds():
    # 1 GB for 1 s = 1 GB-s per request
    at = estimate(6_000_000_000, 1000, 1024)
    assert [li.item for li in at.line_items] == ["Requests", "Compute x86_64, tier 1"]
    assert at.total("compute") == 6_000_000_000 * X86 == D("100000.2")
    over = estimate(6_000_000_001, 1000, 1024)
    assert over.item("Compute x86_64, tier 1").quantity == 6_000_000_000
    t2 = over.item("Compute x86_64, tier 2")
    assert (t2.quantity, t2.unit_price_usd, t2.cost_usd) == (1, X86_T2, X86_T2)
    far = estimate(15_000_000_002, 1000, 1024)
    assert far.item("Compute x86_64, tier 2").quantity == 9_000_000_000
    assert far.item("Compute x86_64, tier 3").quantity == 2
    assert far.total("compute") == 6_000_000_000 * X86 + 9_000_000_000 * X86_T2 + 2 * X86_T3
    check_sums(far)


def test_arm_tier_boundary_at_7_5_billion_gb_seconds():
    at = estimate(7_500_000_000, 1000, 1024, "arm64")
    assert at.total("compute") == 7_500_000_000 * ARM
    over = estimate(7_500_000_001, 1000, 1024, "arm64")
    assert over.item("Compute arm64, tier 2").quantity == 1
    assert over.item("Compute arm64, tier 2").unit_price_usd == ARM_T2
    assert over.item("Compute arm64, tier 2").verified
    assert not estimate(18_750_000_001, 1000, 1024, "arm64").item("Compute arm64, tier 3").verified


def test_tiers_count_per_architecture_and_init_continues_the_ladder():
    # INIT GB-s climb the same ladder after the handler GB-s
    bill = estimate(6_000_000_000, 1000, 1024, init_ms=1000, cold_start_ratio=D("0.0000000005"))
    # 3 cold starts (6e9 x 5e-10), each 1 GB-s of INIT, all above the 6 B boundary
    assert bill.item("INIT x86_64, tier 2").quantity == 3


# -- storage ----------------------------------------------------------------------------------


def test_ephemeral_storage_beyond_512_mb():
    bill = estimate(1_000_000, 100, 512, ephemeral_storage_mb=1536)
    # 1 GB beyond the free 512 MB for 100,000 s
    storage = bill.item("Ephemeral storage")
    assert storage.quantity == 100_000
    assert storage.cost_usd == D("0.00309")
    assert "Ephemeral storage" not in [li.item for li in estimate(10, 100, 512).line_items]


# -- provisioned concurrency -----------------------------------------------------------------


def pc_records():
    pc = [inv(i, duration_ms=200, initialization_type="provisioned-concurrency", qualifier="live")
          for i in range(10)]
    od = [inv(100 + i, duration_ms=200) for i in range(5)]
    return pc + od


def test_provisioned_concurrency_configured_and_lower_duration_price():
    bill = bill_invocations(pc_records(), provisioned=Provisioned(concurrency=2, seconds=3600))
    conf = bill.item("Provisioned concurrency x86_64")
    assert conf.quantity == 7200  # 2 x 1 GB x 3,600 s
    assert conf.cost_usd == 7200 * PC_X86 == D("0.03000024")
    used = bill.item("Compute x86_64 on provisioned concurrency")
    assert used.quantity == 2  # 10 x 0.2 s x 1 GB
    assert used.unit_price_usd == PC_DUR_X86
    assert bill.item("Compute x86_64, tier 1").quantity == 1  # the 5 on-demand ones
    assert bill.total_usd == 15 * REQ + 7200 * PC_X86 + 2 * PC_DUR_X86 + 1 * X86
    check_sums(bill)


def test_provisioned_time_rounds_up_to_five_minutes():
    bill = bill_invocations(pc_records(), provisioned=Provisioned(concurrency=1, seconds=3601))
    assert bill.item("Provisioned concurrency x86_64").quantity == 3900
    assert bill.assumptions["provisioned"][0]["billed_seconds"] == 3900


def test_provisioned_arm64_prices_are_flagged_unverified():
    records = [inv(i, duration_ms=200, architecture="arm64",
                   initialization_type="provisioned-concurrency") for i in range(4)]
    bill = bill_invocations(records, provisioned=Provisioned(1, 300))
    assert bill.item("Provisioned concurrency arm64").cost_usd == 300 * PC_ARM
    assert bill.item("Compute arm64 on provisioned concurrency").cost_usd == D("0.8") * PC_DUR_ARM
    assert not bill.item("Provisioned concurrency arm64").verified
    assert "Provisioned concurrency arm64" in bill.to_dict()["unverified_prices"]
    assert "*" in bill.table()


def test_free_tier_does_not_apply_to_provisioned_concurrency():
    pc = Provisioned(concurrency=2, seconds=3600, function_name="f")
    records = pc_records() + [inv(200 + i, fn="g", duration_ms=1000) for i in range(3)]
    without = bill_invocations(records, provisioned=pc)
    with_ft = bill_invocations(records, provisioned=pc, free_tier=True)
    # only g (no provisioned concurrency) gets free requests and GB-s
    assert with_ft.item("Free tier: requests").quantity == -3
    assert with_ft.item("Free tier: compute x86_64").quantity == -3
    assert with_ft.total_usd == without.total_usd - 3 * REQ - 3 * X86
    assert with_ft.total("provisioned") == without.total("provisioned")
    # a function with provisioned concurrency alone gets nothing free
    only_pc = bill_invocations(pc_records(), provisioned=Provisioned(2, 3600), free_tier=True)
    assert only_pc.total("free_tier") == 0
    check_sums(with_ft)


def test_estimate_with_provisioned_concurrency():
    # 1 environment of 1 GB for a 730-hour month, serving 1 M requests of 100 ms
    bill = estimate(1_000_000, 100, 1024, provisioned=Provisioned(1, 730 * 3600))
    assert bill.item("Provisioned concurrency x86_64").quantity == 2_628_000
    assert bill.item("Compute x86_64 on provisioned concurrency").quantity == 100_000
    assert bill.total_usd == D("0.2") + 2_628_000 * PC_X86 + 100_000 * PC_DUR_X86


# -- API Gateway -------------------------------------------------------------------------------


def test_http_api_meters_512_kb_units():
    small = estimate(1_000_000, 100, 512, api_gateway=ApiGateway("http"))
    assert small.item("API Gateway HTTP API, tier 1").cost_usd == D("1.00")
    big = estimate(1_000_000, 100, 512, api_gateway=ApiGateway("http", request_kb=1024))
    item = big.item("API Gateway HTTP API, tier 1")
    assert item.quantity == 2_000_000  # a 1 MB request counts as 2
    assert item.cost_usd == D("2.00")
    assert ApiGateway("http", request_kb=512).units_per_request(big_prices()) == 1
    assert ApiGateway("http", request_kb=513).units_per_request(big_prices()) == 2
    assert ApiGateway("rest", request_kb=5000).units_per_request(big_prices()) == 1


def big_prices():
    from minilambda.billing import load_prices
    return load_prices()


def test_rest_api_price_and_tier():
    rest = estimate(1_000_000, 100, 512, api_gateway=ApiGateway("rest"))
    assert rest.item("API Gateway REST API, tier 1").cost_usd == D("3.50")
    over = estimate(10, 1, 128, api_gateway=ApiGateway("rest", requests=333_000_001))
    assert over.item("API Gateway REST API, tier 2").quantity == 1
    assert not over.item("API Gateway REST API, tier 2").verified


def test_api_gateway_counts_throttled_requests_lambda_does_not():
    records = [inv(i) for i in range(3)] + [inv(9, outcome=Outcome.THROTTLED, duration_ms=0)]
    bill = bill_invocations(records, api_gateway=ApiGateway("http"))
    assert bill.item("Requests").quantity == 3
    assert bill.item("API Gateway HTTP API, tier 1").quantity == 4


# -- records, clouds and summaries -------------------------------------------------------------


def test_bill_from_records_skips_throttles_and_breaks_down_by_function():
    log = RecordLog()
    log.invocations += [inv(i, fn="a", duration_ms=100, memory=512) for i in range(4)]
    log.invocations += [inv(10 + i, fn="b", duration_ms=1000, memory=2048, architecture="arm64")
                        for i in range(2)]
    log.invocations += [inv(20, fn="b", outcome=Outcome.THROTTLED, duration_ms=0, memory=2048,
                            architecture="arm64")]
    log.invocations += [inv(30, fn="a", outcome=Outcome.TIMEOUT, duration_ms=3000.0, memory=512)]
    bill = bill_invocations(log)
    assert bill.item("Requests").quantity == 7  # the throttled one is not billed
    assert bill.item("Compute x86_64, tier 1").quantity == D("0.2") + D("1.5")
    assert bill.item("Compute arm64, tier 1").quantity == 4
    a, b = bill.functions
    assert (a.function_name, a.requests, a.throttles) == ("a", 5, 0)
    assert (b.function_name, b.requests, b.throttles) == ("b", 2, 1)
    assert a.cost_usd == 5 * REQ + D("1.7") * X86
    assert b.cost_usd == 2 * REQ + 4 * ARM
    check_sums(bill)
    # a Cloud-like object with .records, and a plain list, give the same bill
    assert bill_invocations(SimpleNamespace(records=log)).total_usd == bill.total_usd
    assert bill_invocations(list(log.invocations)).total_usd == bill.total_usd
    assert "By function" in str(bill)


def test_free_tier_is_shared_by_architectures():
    # 300,000 GB-s on x86_64 and 300,000 on arm64: x86_64 first, then 100,000 of arm64
    records = [inv(0, duration_ms=300_000_000, memory=1024)] + \
              [inv(1, fn="g", duration_ms=300_000_000, memory=1024, architecture="arm64")]
    bill = bill_invocations(records, free_tier=True)
    assert bill.item("Free tier: compute x86_64").quantity == -300_000
    assert bill.item("Free tier: compute arm64").quantity == -100_000
    assert bill.total_usd == 200_000 * ARM
    check_sums(bill)


def summary(**kw):
    base = dict(requests=1000, throttles=100, cold_starts=10, billed_ms_total=90_000 + 2_500,
                gb_seconds=D("46.25"), memory_mb=512, architecture="x86_64", init_ms_total=2_500,
                duration=60.0)
    base.update(kw)
    return SimpleNamespace(**base)


def test_bill_from_a_simulator_summary():
    bill = bill_summary(summary())
    assert bill.item("Requests").quantity == 900  # throttled requests are not billed
    assert bill.item("Compute x86_64, tier 1").quantity == 45  # 90 s x 0.5 GB
    assert bill.item("INIT x86_64, tier 1").quantity == D("1.25")
    assert bill.total_usd == 900 * REQ + D("46.25") * X86
    off = bill_summary(summary(), bill_init=False)
    assert off.total("init") == 0 and off.total("compute") == 45 * X86
    assert bill.functions[0].throttles == 100
    check_sums(bill)


def test_summary_with_provisioned_uses_the_simulated_duration():
    bill = bill_summary(summary(), provisioned=Provisioned(concurrency=3))
    assert bill.item("Provisioned concurrency x86_64").quantity == 3 * D("0.5") * 300  # 60 s -> 5 min


def test_summary_of_a_custom_runtime_always_bills_init():
    bill = bill_summary(summary(runtime="provided.al2023"), bill_init=False)
    assert bill.item("INIT x86_64, tier 1").quantity == D("1.25")


# -- inputs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, words", [
    (dict(requests=-1), "requests"),
    (dict(memory_mb=127), "128 to 10,240 MB"),
    (dict(memory_mb=10241), "128 to 10,240 MB"),
    (dict(architecture="mips"), "x86_64, arm64"),
    (dict(ephemeral_storage_mb=511), "512 to 10,240 MB"),
    (dict(cold_start_ratio=1.5), "0 to 1"),
    (dict(duration_ms=-0.1), "duration_ms"),
])
def test_bad_estimate_inputs_name_the_valid_range(kwargs, words):
    args = dict(requests=10, duration_ms=100, memory_mb=512)
    args.update(kwargs)
    with pytest.raises(ValueError) as err:
        estimate(**args)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_bill_table_and_dict():
    bill = estimate(1_000_000, 100, 512)
    text = str(bill)
    assert text == bill.table()
    assert "Requests" in text and "0.0000166667" in text and "$1.03" in text
    d = bill.to_dict()
    assert d["total_usd"] == pytest.approx(1.033335)
    assert d["total_usd_exact"] == "1.033335"
    for li in d["line_items"]:
        assert {"item", "quantity", "unit", "unit_price_usd", "cost_usd"} <= set(li)
    assert d["assumptions"]["memory_mb"] == 512


def test_unknown_api_kind():
    with pytest.raises(BillingInputError, match="http, rest"):
        estimate(1, 1, 128, api_gateway=ApiGateway("websocket"))


def test_simulator_summary_and_its_records_give_the_same_total():
    sim = pytest.importorskip("minilambda.sim")
    from minilambda.sim import Exponential, simulate

    res = simulate(duration=600, seed=3, init=Exponential(0.3), keep_records=True, memory_mb=1024,
                   max_concurrency=3)
    s = res.summary
    from_summary = bill_summary(s)
    from_records = bill_invocations(res.records)
    assert from_summary.item("Requests").quantity == s.requests - s.throttles
    assert from_summary.total_usd == (s.requests - s.throttles) * REQ + gb_seconds(s.billed_ms_total, 1024) * X86
    assert from_records.total_usd == from_summary.total_usd
    assert sim is not None


def test_simulated_provisioned_requests_are_priced_like_their_records():
    """Requests served by provisioned environments pay the provisioned duration price, whether
    billed from the simulator's summary or from its per-request records."""
    from minilambda.sim import Exponential, Poisson, simulate

    res = simulate(arrivals=Poisson(2.0), warm=Exponential(0.5), duration=900, seed=5, provisioned=2,
                   keep_records=True, memory_mb=512)
    s = res.summary
    pc_records = [r for r in res.records if r.initialization_type == "provisioned-concurrency"]
    assert s.provisioned_requests == len(pc_records) > 0
    assert s.provisioned_billed_ms_total == sum(r.billed_ms for r in pc_records)
    from_summary = bill_summary(s)
    from_records = bill_invocations(res.records)
    assert from_summary.total_usd == from_records.total_usd
    assert from_summary.total("provisioned") > 0, "provisioned invocations appear as their own line item"
