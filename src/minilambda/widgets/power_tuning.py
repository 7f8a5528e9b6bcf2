"""Power tuning: duration and cost at every memory size."""

from __future__ import annotations

FLAT = 0.005  # sizes within 0.5 % of the cheapest cost the same, for practical purposes


def explore_power_tuning(cpu_ms: float = 1000.0, non_cpu_fraction: float = 0.0, threads: int = 1,
                         architecture: str = "x86_64", requests: int = 1_000_000):
    """Duration and cost at each memory size (:func:`minilambda.billing.tuning.power_tuning`)."""
    from ..billing.tuning import power_tuning

    return power_tuning(float(cpu_ms), non_cpu_fraction=float(non_cpu_fraction), threads=int(threads),
                        architecture=architecture, requests=int(requests))


def near_cheapest(result, tolerance: float = FLAT) -> list[int]:
    """Memory sizes whose cost is within *tolerance* of the cheapest (a flat stretch of the curve)."""
    best = float(result.cheapest.cost_usd)
    return [r.memory_mb for r in result.rows if float(r.cost_usd) <= best * (1 + tolerance)]


def draw_power_tuning(result):
    """Duration (left axis) and cost (right axis) against memory, with a legend for both curves."""
    from ._shell import figure

    from matplotlib.ticker import FuncFormatter

    fig, ax = figure(7, 2.9, left=0.11, right=0.85, bottom=0.18, top=0.83)
    compact = FuncFormatter(lambda v, _pos: f"{v / 1000:g}k" if abs(v) >= 10_000 else f"{v:g}")
    mem = [r.memory_mb for r in result.rows]
    h1, = ax.plot(mem, [r.duration_ms for r in result.rows], "o-", color="#1f77b4", label="duration (ms)")
    ax.set_xscale("log", base=2)
    ax.set_xticks([128, 256, 512, 1024, 1769, 4096, 10240], ["128", "256", "512", "1024", "1769", "4096", "10240"])
    ax.set_xlabel("memory (MB)")
    ax.set_ylabel("duration (ms)", color="#1f77b4")
    ax.yaxis.set_major_formatter(compact)
    ax2 = ax.twinx()
    h2, = ax2.plot(mem, [float(r.cost_usd) for r in result.rows], "s-", color="#d62728",
                   label=f"cost (USD per {result.requests:,})")
    ax2.set_ylabel(f"USD per {result.requests:,}", color="#d62728")
    ax2.yaxis.set_major_formatter(compact)
    h3 = ax2.axvline(result.cheapest.memory_mb, color="#d62728", linestyle=":", linewidth=1,
                     label=f"cheapest ({result.cheapest.memory_mb:,} MB)")
    fig.legend([h1, h2, h3], [h.get_label() for h in (h1, h2, h3)], loc="upper right", ncol=3, fontsize=8,
               frameon=False, bbox_to_anchor=(0.98, 1.0))
    return fig


def describe_power_tuning(r) -> str:
    """The summary, including why a size wins on a flat curve."""
    from ._shell import money

    c, f = r.cheapest, r.fastest
    flat = near_cheapest(r)
    why = ""
    if len(flat) > 1:
        why = (f"<br>Flat curve: {flat[0]:,}–{flat[-1]:,} MB all cost within {FLAT:.1%} of the cheapest. CPU-bound "
               "work gets faster in proportion to memory up to one vCPU (1,769 MB), so GB-seconds stay the same; "
               f"{c.memory_mb:,} MB wins only because each invocation is rounded up to a whole millisecond.")
    return (f"<b>cheapest: {c.memory_mb:,} MB</b> ({c.duration_ms:,.0f} ms, {money(c.cost_usd)} per "
            f"{r.requests:,}) · <b>fastest: {f.memory_mb:,} MB</b> ({f.duration_ms:,.0f} ms, {money(f.cost_usd)})"
            + why)


def power_tuning_explorer(cpu_ms: float = 1000.0, non_cpu_fraction: float = 0.0, threads: int = 1):
    """How a function's duration and cost change with memory, for CPU-bound and waiting work."""
    from ._shell import build, slider, toggles

    controls = {
        "cpu_ms": slider("int", cpu_ms, 10, 5000, 10, "duration at 1,769 MB (ms)"),
        "non_cpu_fraction": slider("float", non_cpu_fraction, 0.0, 1.0, 0.05, "share waiting on I/O"),
        "threads": slider("int", threads, 1, 6, 1, "threads"),
        "architecture": toggles(("x86_64", "arm64"), "x86_64"),
    }
    return build(controls, explore_power_tuning, draw_power_tuning, describe_power_tuning,
                 layout=[["cpu_ms", "non_cpu_fraction"], ["threads", "architecture"]])
