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


def _shop_box(ax, x: float, y: float, text: str, colour: str, width: float = 1.6) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.3), width, 0.6, boxstyle="round,pad=0.05",
                                facecolor=colour, edgecolor="#333333"))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _shop_arrow(ax, a: tuple[float, float], b: tuple[float, float]) -> None:
    ax.annotate("", xy=b, xytext=a, arrowprops={"arrowstyle": "->", "color": "#333333"})


def shop_diagram():
    """Module 01: the shop twice, one function routing everything, and functions + a queue + a topic."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.88, wspace=0.1)
    for ax in (left, right):
        ax.set_xlim(0, 8)
        ax.set_ylim(0, 5)
        ax.axis("off")
    left.set_title("Monolith: one function, one database")
    _shop_box(left, 4, 4.4, "client", "#eeeeee")
    _shop_box(left, 4, 2.7, "shop function\nbrowse · search · cart · checkout", "#f4cccc", width=4.4)
    _shop_box(left, 4, 0.8, "one database", "#d9d9d9")
    _shop_arrow(left, (4, 4.05), (4, 3.05))
    _shop_arrow(left, (4, 2.35), (4, 1.15))
    right.set_title("Microservices: functions + a queue + a topic")
    _shop_box(right, 4, 4.4, "client", "#eeeeee")
    for x, name in zip((1, 3, 5, 7), ("browse", "search", "cart", "checkout")):
        _shop_box(right, x, 3.0, name, "#d9ead3", width=1.5)
        _shop_arrow(right, (4, 4.05), (x, 3.35))
    _shop_box(right, 7, 1.8, "orders queue", "#fff2cc", width=1.7)
    _shop_box(right, 7, 0.6, "payment worker", "#d9ead3", width=1.7)
    _shop_box(right, 4, 0.6, "order-placed topic", "#cfe2f3", width=2.2)
    _shop_box(right, 1, 0.6, "email", "#d9ead3", width=1.4)
    _shop_arrow(right, (7, 2.65), (7, 2.15))
    _shop_arrow(right, (7, 1.45), (7, 0.95))
    _shop_arrow(right, (6.1, 0.6), (5.15, 0.6))
    _shop_arrow(right, (2.85, 0.6), (1.75, 0.6))
    return fig



# (from, to, label) on the lifelines 0 = Lambda (Runtime API), 1 = bootstrap, 2 = handler
RUNTIME_SEQUENCE = (
    (1, 0, "GET /runtime/invocation/next  (waits)"),
    (0, 1, "event + Lambda-Runtime-Aws-Request-Id, -Deadline-Ms"),
    (1, 2, "handler(event, context)"),
    (2, 1, "return result  (or raise)"),
    (1, 0, "POST /invocation/{id}/response  (or /error)"),
    (1, 0, "GET /runtime/invocation/next  (the next event...)"),
)


def runtime_api_diagram():
    """Module 09: a sequence diagram of one invocation through a custom runtime."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.6))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9)
    names = ("Lambda\n(Runtime API)", "bootstrap\n(the runtime)", "your handler")
    xs = (1.0, 5.0, 9.0)
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.3, len(RUNTIME_SEQUENCE) + 1.2)
    ax.axis("off")
    ax.set_title("One invocation through a custom runtime")
    for x, name in zip(xs, names):
        ax.text(x, len(RUNTIME_SEQUENCE) + 0.7, name, ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round", "facecolor": "#eeeeee"})
        ax.plot([x, x], [0, len(RUNTIME_SEQUENCE) + 0.3], color="#999999", linestyle="--", linewidth=1)
    for step, (a, b, label) in enumerate(RUNTIME_SEQUENCE, start=1):
        y = len(RUNTIME_SEQUENCE) - step + 0.5
        ax.annotate("", xy=(xs[b], y), xytext=(xs[a], y), arrowprops={"arrowstyle": "->", "color": "#1f77b4"})
        ax.text((xs[a] + xs[b]) / 2, y + 0.12, f"{step}. {label}", ha="center", fontsize=7.5)
    return fig



# (stage, what it checks, the refusal it answers with), in the order API Gateway applies them.
REQUEST_PATH: tuple[tuple[str, str, str], ...] = (
    ("CORS\npreflight", "OPTIONS + Origin\n(HTTP API\nCorsConfiguration)", "204, no\nbackend"),
    ("route /\nresource", "method + path\nmatch a route", "REST 403\nHTTP 404"),
    ("authorizer", "IAM SigV4\nLambda\nJWT / Cognito", "401 · 403"),
    ("API key", "x-api-key\nvalid (REST)", "403\nForbidden"),
    ("throttling", "account, stage,\nmethod,\nusage plan", "429"),
    ("request\nvalidation", "params + JSON\nSchema body\n(REST)", "400"),
    ("stage\ncache", "GET cached?\n(REST)", "hit: skips the\nintegration"),
    ("integration", "Lambda proxy\nmapping template\nHTTP", "502 · 504\n(HTTP API 503)"),
)


def request_path_diagram():
    """Module 07: the stages of :data:`REQUEST_PATH` left to right, refusals hanging below each stage."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 3.2))
    ax.set_xlim(-0.9, len(REQUEST_PATH) + 0.6)
    ax.set_ylim(-1.6, 1.3)
    ax.axis("off")
    ax.text(-0.5, 0.3, "client", ha="center", va="center", fontsize=9, fontweight="bold")
    ax.text(len(REQUEST_PATH) + 0.2, 0.3, "Lambda", ha="center", va="center", fontsize=9, fontweight="bold")
    for i, (name, checks, refusal) in enumerate(REQUEST_PATH):
        x = i + 0.2
        ax.add_patch(plt.Rectangle((x - 0.44, -0.2), 0.88, 1.25, facecolor="#e8f0fb", edgecolor="#1f77b4"))
        ax.text(x, 0.78, name, ha="center", va="center", fontsize=8, fontweight="bold")
        ax.text(x, 0.2, checks, ha="center", va="center", fontsize=6.5)
        ax.annotate("", xy=(x, -0.75), xytext=(x, -0.2), arrowprops={"arrowstyle": "->", "color": "#d62728"})
        ax.text(x, -0.85, refusal, ha="center", va="top", fontsize=7, color="#d62728")
    for i in range(-1, len(REQUEST_PATH)):
        ax.annotate("", xy=(i + 0.76, 0.3), xytext=(i + 0.64, 0.3), arrowprops={"arrowstyle": "->"})
    ax.set_title("The path of one API request (left to right); red: what a refusal answers", fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.02)
    return fig


# Tier -> the template's resources in it (logical ids of apps/notes/template.yaml).
TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("auth", ("UserPool", "UserPoolClient")),
    ("API", ("NotesApi (HTTP, JWT)", "LiveApi (WebSocket)")),
    ("functions", ("AuthFunction", "NotesFunction", "ThumbnailFunction", "SocketFunction", "StreamFunction")),
    ("data", ("NotesTable (+ stream)", "ConnectionsTable")),
    ("files", ("PhotosBucket", "WebBucket (client)")),
    ("push", ("stream -> StreamFunction", "post_to_connection")),
)

# Relative activity per hour of the day (UTC), the consumer-app shape of apps/notes/load.py.
HOURLY: tuple[float, ...] = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.2, 2.5, 3, 2.5, 2.2, 2.5, 3.5, 3, 2.4, 2.2, 2.4, 3,
                             3.5, 4, 4.2, 3.6, 2.5, 1.6)


def notes_architecture_diagram():
    """Module 08: apps/notes/template.yaml in six columns, one per tier, listing the resources that make it."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 3.4))
    ax.set_xlim(0, len(TIERS))
    ax.set_ylim(-0.4, 6.2)
    ax.axis("off")
    colours = ("#fde2e2", "#e8f0fb", "#fff2cc", "#e2f5e2", "#efe5f7", "#fbe9d7")
    for i, ((tier, items), colour) in enumerate(zip(TIERS, colours)):
        ax.add_patch(plt.Rectangle((i + 0.05, 0.0), 0.9, 5.6, facecolor=colour, edgecolor="#777777"))
        ax.text(i + 0.5, 5.25, tier, ha="center", va="center", fontsize=11, fontweight="bold")
        for j, item in enumerate(items):
            ax.text(i + 0.5, 4.4 - j * 0.85, item, ha="center", va="center", fontsize=7.5,
                    bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#999999"})
        if i < len(TIERS) - 1:
            ax.annotate("", xy=(i + 1.08, 2.8), xytext=(i + 0.92, 2.8), arrowprops={"arrowstyle": "->"})
    ax.set_title("apps/notes/template.yaml, tier by tier: phone → Cognito → API → Lambda → DynamoDB/S3 → push",
                 fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.02)
    return fig


def offerings_diagram():
    """Module 02: the serverless map, one column per category, services the Cloud runs in green."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    from .offerings import OFFERINGS

    categories = list(dict.fromkeys(o.category for o in OFFERINGS))
    fig, ax = plt.subplots(figsize=(10, 2.8))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9)
    ax.set_xlim(0, len(categories))
    ax.set_ylim(0.8, 5)
    ax.axis("off")
    ax.set_title("AWS serverless offerings (green: runs on your Cloud; grey: read the docs)")
    for col, cat in enumerate(categories):
        ax.text(col + 0.5, 4.7, cat, ha="center", fontsize=10, weight="bold")
        for row, o in enumerate(x for x in OFFERINGS if x.category == cat):
            y = 3.9 - row * 0.9
            ax.add_patch(FancyBboxPatch((col + 0.06, y - 0.3), 0.88, 0.6, boxstyle="round,pad=0.03",
                                        facecolor="#d9ead3" if o.runnable else "#eeeeee", edgecolor="#555555"))
            ax.text(col + 0.5, y + 0.08, o.name.replace("Amazon ", "").replace("AWS ", ""), ha="center",
                    fontsize=8.5)
            ax.text(col + 0.5, y - 0.16, o.pay_for, ha="center", fontsize=6.5, color="#444444")
    return fig


__all__ = ["invoke_path_diagram", "lifecycle_diagram", "vcpu_diagram", "async_retry_diagram",
           "event_source_mapping_diagram", "shop_diagram", "offerings_diagram", "request_path_diagram",
           "notes_architecture_diagram", "runtime_api_diagram", "REQUEST_PATH", "TIERS", "RUNTIME_SEQUENCE"]
