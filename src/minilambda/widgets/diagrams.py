"""The course's diagrams, drawn with matplotlib so they render in notebooks, decks and tests alike.

Each function returns a figure of a fixed size with no axes: boxes joined by arrows.
"""

from __future__ import annotations

from typing import Sequence

BOX = {"platform": "#dbe9f6", "code": "#fde2c8", "store": "#e2f0d9", "bad": "#f8d7da", "idle": "#eeeeee"}


def _canvas(width: float, height: float):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 40)
    ax.axis("off")
    return fig, ax


def _box(ax, x: float, y: float, w: float, h: float, text: str, kind: str = "platform", size: int = 9) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.4,rounding_size=1.2", facecolor=BOX[kind],
                                edgecolor="#555555", linewidth=1))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, wrap=True)


def _arrow(ax, start: Sequence[float], end: Sequence[float], text: str = "", curve: float = 0.0) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color="#333333", linewidth=1.2,
                                                         connectionstyle=f"arc3,rad={curve}"))
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 1.5, text, ha="center", va="bottom", fontsize=8,
                color="#333333")


def invoke_path_diagram():
    """Module 03: an event goes in, a result and a REPORT line come out."""
    fig, ax = _canvas(8, 3.2)
    ax.set_title("One invocation: event in, result out", fontsize=11, loc="left")
    _box(ax, 2, 16, 14, 8, "caller\n(boto3, a trigger)", "code")
    _box(ax, 26, 16, 16, 8, "Lambda service\nInvoke API", "platform")
    _box(ax, 52, 9, 28, 22, "", "idle")
    ax.text(66, 28, "execution environment", ha="center", fontsize=9)
    _box(ax, 55, 18, 22, 6, "handler(event, context)", "code")
    _box(ax, 55, 11, 22, 4, "code + layers (/opt)", "store", size=8)
    _box(ax, 84, 24, 14, 7, "result\n(Payload)", "store", size=8)
    _box(ax, 84, 9, 14, 8, "CloudWatch Logs\nSTART · END · REPORT", "store", size=7)
    _arrow(ax, (16.8, 20), (25.2, 20), "event (JSON)")
    _arrow(ax, (42.8, 20), (54.2, 21))
    _arrow(ax, (77.8, 22), (83.2, 27))
    _arrow(ax, (77.8, 19), (83.2, 13))
    return fig


def lifecycle_diagram():
    """Module 04: INIT once per environment, INVOKE per request, idle keep-alive, SHUTDOWN."""
    fig, ax = _canvas(8, 3.2)
    ax.set_title("The life of one execution environment", fontsize=11, loc="left")
    segments = [(2, 18, "INIT\nextensions, runtime,\nyour imports", "bad"), (21, 10, "INVOKE\nrequest 1", "code"),
                (32, 12, "idle\n(frozen)", "idle"), (45, 10, "INVOKE\nrequest 2", "code"),
                (56, 22, "idle: kept alive\nfor a while", "idle"), (79, 18, "SHUTDOWN\n(reclaimed)", "platform")]
    for x, w, text, kind in segments:
        _box(ax, x, 17, w, 11, text, kind, size=8)
    _arrow(ax, (2, 12), (97, 12), "time")
    ax.text(12, 6, "cold start = INIT + first INVOKE", ha="center", fontsize=8, color="#a94442")
    ax.text(50, 6, "warm start: INVOKE only", ha="center", fontsize=8, color="#2d6a2d")
    ax.text(88, 6, "next request: cold again", ha="center", fontsize=8)
    return fig


def vcpu_diagram():
    """Module 05: CPU grows with memory; one full vCPU at 1,769 MB, about 6 at 10,240 MB."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(8, 3.0))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.18, top=0.85)
    memory = np.linspace(128, 10240, 200)
    ax.plot(memory, memory / 1769, color="#1f77b4", label="CPU share (vCPU)")
    ax.axvline(1769, color="#d62728", linestyle=":", linewidth=1)
    ax.annotate("1 vCPU at 1,769 MB", (1769, 1), xytext=(2600, 3.2), fontsize=8,
                arrowprops=dict(arrowstyle="-|>", color="#d62728"))
    ax.set_xlabel("memory (MB)")
    ax.set_ylabel("CPU (vCPU)")
    ax.set_title("Memory buys CPU: GB-seconds stay flat while CPU-bound code speeds up", fontsize=10, loc="left")
    return fig


def async_retry_diagram():
    """Module 06: an asynchronous event, its retries and where it ends."""
    fig, ax = _canvas(8, 3.4)
    ax.set_title("Asynchronous invocation: queue, retries, destination", fontsize=11, loc="left")
    _box(ax, 1, 16, 11, 8, "caller\nInvocationType\n=Event", "code", size=7)
    _box(ax, 16, 16, 12, 8, "Lambda's\nevent queue\n(up to 6 h)", "platform", size=7)
    _box(ax, 33, 25, 12, 7, "attempt 1", "code", size=8)
    _box(ax, 51, 25, 12, 7, "attempt 2", "code", size=8)
    _box(ax, 69, 25, 12, 7, "attempt 3", "code", size=8)
    _arrow(ax, (12.8, 20), (15.2, 20), "202")
    _arrow(ax, (28.8, 21), (32.2, 27))
    _arrow(ax, (45.8, 28.5), (50.2, 28.5), "~1 min")
    _arrow(ax, (63.8, 28.5), (68.2, 28.5), "~2 min")
    _box(ax, 84, 28, 15, 6, "OnSuccess\ndestination", "store", size=7)
    _box(ax, 84, 14, 15, 8, "OnFailure destination\nor DLQ", "store", size=7)
    _box(ax, 60, 4, 22, 6, "dropped (neither set)", "bad", size=8)
    _arrow(ax, (81.8, 29), (83.2, 31))
    _arrow(ax, (81.8, 27), (83.2, 19))
    _arrow(ax, (75, 24), (72, 10.8))
    ax.text(22, 8, "too old (MaximumEventAgeInSeconds)\nor retries used up -> failure path", fontsize=7,
            ha="center")
    return fig


def event_source_mapping_diagram():
    """Module 06: an SQS event source mapping polls, batches and deletes or returns messages."""
    fig, ax = _canvas(8, 3.2)
    ax.set_title("SQS event source mapping: poll, batch, delete or return", fontsize=11, loc="left")
    _box(ax, 2, 15, 16, 10, "SQS queue\nmessages", "store")
    _box(ax, 27, 15, 18, 10, "Lambda poller\n(event source\nmapping)", "platform", size=8)
    _box(ax, 55, 15, 18, 10, "handler(batch)\nreturns\nbatchItemFailures", "code", size=8)
    _box(ax, 81, 25, 17, 7, "succeeded:\ndeleted", "store", size=8)
    _box(ax, 81, 8, 17, 8, "failed: back in the\nqueue after the\nvisibility timeout", "bad", size=7)
    _arrow(ax, (18.8, 20), (26.2, 20), "poll")
    _arrow(ax, (45.8, 20), (54.2, 20), "batch")
    _arrow(ax, (73.8, 22), (80.2, 28))
    _arrow(ax, (73.8, 18), (80.2, 12))
    _arrow(ax, (81, 9), (10, 14.2), curve=-0.25)
    ax.text(45, 1.5, "retried; after maxReceiveCount the queue's redrive policy moves it to a DLQ", ha="center",
            fontsize=8, color="#333333")
    return fig


__all__ = ["invoke_path_diagram", "lifecycle_diagram", "vcpu_diagram", "async_retry_diagram",
           "event_source_mapping_diagram"]
