"""Events: what each trigger hands a function, through a real invocation."""

from __future__ import annotations

import base64
import json
import random
import time
import weakref
from typing import Any

ECHO_HANDLER = '''\
import json


def handler(event, context):
    """Echo the event and the interesting parts of the context."""
    print("received a", type(event).__name__, "with keys", sorted(event)[:6] if isinstance(event, dict) else "-")
    return {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_time_in_millis": context.get_remaining_time_in_millis(),
        },
    }
'''

EVENT_SOURCES = ("API Gateway REST (v1)", "API Gateway HTTP (v2)", "S3", "SQS", "SNS", "EventBridge schedule")


def make_event(source: str, seed: int = 1, time: float = 1_767_225_600.0) -> dict:
    """The event AWS would hand a function for *source* (one of :data:`EVENT_SOURCES`)."""
    from .. import payloads as ev

    rng = random.Random(seed)
    builders = {
        EVENT_SOURCES[0]: lambda: ev.api_gateway_rest_event("POST", "/orders", body='{"item": "book"}', rng=rng,
                                                            time=time),
        EVENT_SOURCES[1]: lambda: ev.api_gateway_http_event("GET", "/orders/42", rng=rng, time=time),
        EVENT_SOURCES[2]: lambda: ev.s3_event("uploads", "photos/cat 1.jpg", size=1024, rng=rng, time=time),
        EVENT_SOURCES[3]: lambda: ev.sqs_event(["order 1", "order 2"],
                                               queue_arn="arn:aws:sqs:us-east-1:123456789012:orders", rng=rng,
                                               time=time),
        EVENT_SOURCES[4]: lambda: ev.sns_event("hello subscribers", rng=rng, time=time),
        EVENT_SOURCES[5]: lambda: ev.scheduled_event(rng=rng, time=time),
    }
    if source not in builders:
        msg = f"unknown event source {source!r}; pick one of {EVENT_SOURCES}"
        raise ValueError(msg)
    return builders[source]()


def ensure_echo(cloud, name: str = "event-echo") -> str:
    """Create the echo function in *cloud* unless it exists; returns its name."""
    from .. import zip_files

    lam = cloud.client("lambda")
    try:
        lam.get_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler",
                            Role="arn:aws:iam::123456789012:role/lambda-role",
                            Code={"ZipFile": zip_files({"app.py": ECHO_HANDLER})})
    return name


def invoke_with_event(cloud, source: str, function_name: str = "event-echo", seed: int = 1) -> dict:
    """Invoke the echo function with *source*'s event; returns the event, the context the
    handler saw and the log lines of that invocation (``LogType="Tail"``)."""
    ensure_echo(cloud, function_name)
    event = make_event(source, seed=seed)
    lam = cloud.client("lambda")
    resp = lam.invoke(FunctionName=function_name, Payload=json.dumps(event).encode(), LogType="Tail")
    body = json.loads(resp["Payload"].read() or b"null")
    log = base64.b64decode(resp.get("LogResult", "")).decode("utf-8", "replace")
    return {"source": source, "event": event, "status": resp["StatusCode"],
            "context": body.get("context") if isinstance(body, dict) else body,
            "log": log.rstrip("\n").splitlines()}


def _private_cloud(owner: Any):
    """A Cloud owned by *owner*: closed when the owner is garbage-collected (or at exit)."""
    from .. import Cloud

    cloud = Cloud(clock="virtual", start=1_767_225_600, seed=1)
    weakref.finalize(owner, cloud.close)
    return cloud


def event_explorer(cloud=None, function_name: str = "event-echo", seed: int = 1):
    """Pick an event source; see the exact event, the context and the log of a real invocation.

    Without *cloud* the explorer owns a private Cloud, so it keeps working after the notebook's
    last cell closes its own. If the given *cloud* is closed, it switches to a private one and
    says so in its summary.
    """
    import ipywidgets as widgets

    from ..errors import CloudClosedError
    from ._shell import Explorer, notice, pre, toggles

    pick = toggles(EVENT_SOURCES, EVENT_SOURCES[0], "source")
    event_html, context_html, log_html = widgets.HTML(), widgets.HTML(), widgets.HTML()
    box = Explorer()
    box.controls = {"source": pick}
    state = {"cloud": cloud if cloud is not None else _private_cloud(box), "note": ""}

    def update(change: Any = None) -> None:
        t0 = time.perf_counter()
        try:
            r = invoke_with_event(state["cloud"], pick.value, function_name, seed)
        except CloudClosedError:
            state["cloud"] = _private_cloud(box)
            state["note"] = notice("The notebook's Cloud was closed (its last cell ran cloud.close()); "
                                   "this explorer now uses a private Cloud of its own.")
            r = invoke_with_event(state["cloud"], pick.value, function_name, seed)
        box.result = r
        event_html.value = "<b>event</b>" + pre(json.dumps(r["event"], indent=2))
        context_html.value = "<b>context</b>" + pre(json.dumps(r["context"], indent=2))
        log_html.value = "<b>log</b>" + pre("\n".join(r["log"]))
        box.summary.value = state["note"] + (f"StatusCode {r['status']} · event keys: "
                                             f"{', '.join(list(r['event'])[:8])}")
        box.redraw_ms = (time.perf_counter() - t0) * 1000.0

    pick.observe(update, names="value")
    update()
    box.children = (pick, box.summary, widgets.HBox([event_html, widgets.VBox([context_html, log_html])]))
    return box
