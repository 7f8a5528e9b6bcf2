"""Chain (module 01): latency and billed time of a chain of synchronous calls, per depth."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChainResult:
    """Latency and billed time of a request crossing 1..max_hops functions, synchronously or not."""

    hop_ms: float
    overhead_ms: float
    hops: tuple[int, ...]
    latency_ms: tuple[float, ...]  # what the user waits for, synchronous chain
    billed_ms_sync: tuple[float, ...]  # billed milliseconds of one request, all functions together
    billed_ms_async: tuple[float, ...]
    usd_per_million_sync: tuple[float, ...]
    usd_per_million_async: tuple[float, ...]
    chosen: int = 0


def explore_chain(hops: int = 4, hop_ms: float = 50.0, overhead_ms: float = 5.0, memory: int = 512,
                  max_hops: int = 8) -> ChainResult:
    """Function 1 calls 2, which calls 3 ... *hops* deep; each does *hop_ms* of its own work.

    Synchronously, each caller is billed while it waits, so function i runs
    (hops - i + 1) x (hop_ms + overhead_ms): billed time grows with the square of the depth.
    With a queue between them each function is billed for its own work only.
    """
    if not 1 <= hops <= max_hops:
        msg = f"hops must be between 1 and {max_hops}, got {hops}"
        raise ValueError(msg)
    depth = tuple(range(1, max_hops + 1))
    step = hop_ms + overhead_ms
    latency = tuple(n * step for n in depth)
    sync = tuple(sum(k * step for k in range(1, n + 1)) for n in depth)
    asyn = tuple(n * hop_ms for n in depth)

    from ..billing.bill import estimate

    def per_million(durations: list[float]) -> float:
        return sum(float(estimate(1_000_000, d, memory).total_usd) for d in durations)

    usd_sync = tuple(per_million([k * step for k in range(1, n + 1)]) for n in depth)
    usd_async = tuple(per_million([hop_ms] * n) for n in depth)
    return ChainResult(hop_ms=hop_ms, overhead_ms=overhead_ms, hops=depth, latency_ms=latency,
                       billed_ms_sync=sync, billed_ms_async=asyn, usd_per_million_sync=usd_sync,
                       usd_per_million_async=usd_async, chosen=hops)


def draw_chain(result: ChainResult):
    """Cost per million requests (left) and user-facing latency (right) against chain depth."""
    from . import _shell

    fig, (left, right) = _shell.figure(9, 3, cols=2, left=0.08)
    left.plot(result.hops, result.usd_per_million_sync, "o-", color="#d62728", label="synchronous chain")
    left.plot(result.hops, result.usd_per_million_async, "o-", color="#2ca02c", label="queue between hops")
    left.axvline(result.chosen, color="k", linestyle=":", linewidth=1)
    left.set_xlabel("functions in the chain (count)")
    left.set_ylabel("USD per million requests")
    left.set_title("Cost of a chain")
    left.legend(fontsize=8, frameon=False)
    right.plot(result.hops, result.latency_ms, "o-", color="#1f77b4", label="user waits (sync)")
    right.axhline(result.hop_ms + result.overhead_ms, color="#2ca02c", linestyle="--", label="user waits (queue)")
    right.axvline(result.chosen, color="k", linestyle=":", linewidth=1)
    right.set_xlabel("functions in the chain (count)")
    right.set_ylabel("latency (ms)")
    right.set_title("Latency of a chain")
    right.legend(fontsize=8, frameon=False)
    return fig


def _describe_chain(r: ChainResult) -> str:
    from . import _shell

    i = r.chosen - 1
    return (f"{r.chosen} hops: the user waits {r.latency_ms[i]:,.0f} ms; billed {r.billed_ms_sync[i]:,.0f} ms "
            f"per request synchronously vs {r.billed_ms_async[i]:,.0f} ms with queues · <b>per million: "
            f"{_shell.money(r.usd_per_million_sync[i])} vs {_shell.money(r.usd_per_million_async[i])}</b>")


def chain_explorer(hops: int = 4, hop_ms: float = 50.0, memory: int = 512):
    """Sliders for the chain's depth, each hop's work and the memory size."""
    from . import _shell

    controls = {
        "hops": _shell.slider("int", hops, 1, 8, 1, "hops"),
        "hop_ms": _shell.slider("float", hop_ms, 5, 500, 5, "work per hop (ms)"),
        "memory": _shell.selection([128, 256, 512, 1024, 2048], memory, "memory (MB)"),
    }
    return _shell.build(controls, explore_chain, draw_chain, _describe_chain)

