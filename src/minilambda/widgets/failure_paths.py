"""Failure paths: where each asynchronous event ended, attempt by attempt."""

from __future__ import annotations

from dataclasses import dataclass

FINAL_COLOURS = {"success": "#2ca02c", "destination": "#1f77b4", "dlq": "#9467bd", "dropped": "#7f7f7f",
                 "retrying": "#ff7f0e"}
_FINALS = {"success": "success", "destination": "destination", "dead-letter": "dlq", "dropped": "dropped"}
_SHOWN = ("accepted", "attempt", "throttled", "retry-scheduled", "success", "destination", "dead-letter", "dropped")


@dataclass(frozen=True)
class FailurePaths:
    """Per event: its steps (time, what) and where it ended, in the order the events arrived."""

    rows: list  # (request id, [(time, step)], final)
    finals: dict  # final -> count


def failure_paths(records) -> FailurePaths:
    """Group asynchronous-invocation records (``cloud.records.events``: rows with *time*,
    *request_id* and *step*) by event, and find where each event ended: ``success``, an
    on-failure ``destination``, a ``dlq`` (dead-letter queue), ``dropped``, or still
    ``retrying``. Event-source-mapping batch records are ignored.
    """
    by: dict[str, list] = {}
    for rec in records:
        d = rec if isinstance(rec, dict) else {k: getattr(rec, k, None) for k in ("time", "request_id", "step")}
        if d.get("step") not in _SHOWN or not d.get("request_id"):
            continue
        by.setdefault(d["request_id"], []).append((float(d["time"]), d["step"]))
    rows, finals = [], {}
    for key, steps in sorted(by.items(), key=lambda kv: (kv[1][0][0], kv[0])):
        final = next((_FINALS[s] for _, s in reversed(steps) if s in _FINALS), "retrying")
        rows.append((key, steps, final))
        finals[final] = finals.get(final, 0) + 1
    return FailurePaths(rows=rows, finals=finals)


def attempts(steps) -> int:
    """How many times the function ran for one event."""
    return sum(1 for _, s in steps if s == "attempt")


def draw_failure_paths(paths: FailurePaths, max_rows: int = 25):
    """One row per event (in the order sent): red dots for attempts, drawn above a hollow square
    coloured by where the event ended, and the attempt count at the end of the row."""
    from ._shell import figure

    rows = paths.rows[:max_rows]
    fig, ax = figure(8, 3.0, left=0.1, right=0.9, bottom=0.17, top=0.82)
    t0 = min((s[0][0] for _, s, _ in rows), default=0.0)
    for i, (_key, steps, final) in enumerate(rows):
        ts = [t - t0 for t, _ in steps]
        ax.plot([ts[0], ts[-1]], [i, i], "-", color="#bbbbbb", zorder=1)
        ax.scatter(ts[-1:], [i], s=110, marker="s", facecolors="none", edgecolors=FINAL_COLOURS[final],
                   linewidths=2, zorder=2)
        tries = [t - t0 for t, what in steps if what == "attempt"]
        ax.scatter(tries, [i] * len(tries), color="#d62728", s=16, zorder=3)
        ax.annotate(f"{attempts(steps)}×", (ts[-1], i), xytext=(8, -3), textcoords="offset points", fontsize=7)
    if rows:
        ax.scatter([], [], color="#d62728", s=16, label="attempt")
    else:
        ax.text(0.5, 0.5, "no asynchronous events yet", transform=ax.transAxes, ha="center", va="center")
    for final in FINAL_COLOURS:
        if final in {f for _, _, f in rows}:
            ax.scatter([], [], s=60, marker="s", facecolors="none", edgecolors=FINAL_COLOURS[final], linewidths=2,
                       label=f"ended: {final}")
    n = max(len(rows), 1)
    ax.set_yticks(range(len(rows)), [str(i + 1) for i in range(len(rows))], fontsize=7)
    ax.set_ylim(n - 0.5, -0.5)
    right = max((s[-1][0] - t0 for _, s, _ in rows), default=1.0)
    ax.set_xlim(-0.03 * max(right, 1.0), max(right, 1.0) * 1.1)
    ax.set_xlabel("time after the first event (s)")
    ax.set_ylabel("event (in order sent)")
    shown = "" if len(paths.rows) <= max_rows else f" (first {max_rows} of {len(paths.rows)} shown)"
    ax.set_title(f"{len(paths.rows)} events{shown}", fontsize=9, loc="left", pad=4)
    if rows:
        fig.legend(loc="upper right", ncol=5, fontsize=8, frameon=False, bbox_to_anchor=(0.98, 1.0))
    return fig


def failure_path_timeline(records):
    """A timeline of each event's attempts ending in a square coloured by where it ended."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from ._shell import Explorer

    paths = failure_paths(records)
    box = Explorer()
    box.summary.value = (f"{len(paths.rows)} events · "
                         + " · ".join(f"<b>{k}</b>: {v}" for k, v in sorted(paths.finals.items())))
    box.result = paths
    out = widgets.Output()
    box.children = (box.summary, out)
    with out:
        fig = draw_failure_paths(paths)
        plt.show()
        plt.close(fig)
    return box
