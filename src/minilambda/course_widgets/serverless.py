"""Module 02 explorers: a day of traffic on Lambda vs an always-on server, and the serverless map.

* :func:`explore_daily_traffic` runs one day of a daily traffic curve through ``minilambda.sim``
  (the platform model the Cloud uses) and prices it against always-on servers sized for the peak.
* :data:`OFFERINGS` is the AWS serverless map of the course notes; :func:`run_offering_demo` runs
  a small live demo of each service the Cloud simulates.

AWS: https://aws.amazon.com/serverless/ , https://aws.amazon.com/lambda/pricing/
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _shell

__all__ = [
    "DAY_SHAPE", "DailyTrafficResult", "explore_daily_traffic", "draw_daily_traffic", "daily_traffic_explorer",
    "Offering", "OFFERINGS", "run_offering_demo", "draw_offerings", "offerings_map",
]

SECONDS_PER_DAY = 86_400
WARM_UP_FROM_HOUR = 18  # the run starts at 18:00 the evening before the reported day
WARM_UP_S = (24 - WARM_UP_FROM_HOUR) * 3600
# Share of the peak rate in each hour of the day (0 = midnight): quiet nights, a lunch peak.
DAY_SHAPE: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.02, 0.1, 0.35, 0.6, 0.75, 0.85, 0.95,
                                1.0, 0.95, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5, 0.35, 0.2, 0.08, 0.02)


@dataclass(frozen=True)
class DailyTrafficResult:
    """One simulated day: environments over time, cold starts, and the two bills."""

    peak_rps: float
    night_rps: float
    requests: int
    cold_starts: int
    cold_start_ratio: float
    lambda_usd: float
    server_usd: float
    servers: int
    hours_at_zero: float  # hours during which no environment existed (scale to zero)
    peak_environments: int
    p99_ms: float
    hours: np.ndarray = field(repr=False)  # start of each 10-minute bucket, in hours
    environments: np.ndarray = field(repr=False)  # mean environments alive in the bucket
    rate: np.ndarray = field(repr=False)  # requests per second in the bucket

    @property
    def cheaper(self) -> str:
        return "lambda" if self.lambda_usd < self.server_usd else "server"


def explore_daily_traffic(peak_rps: float = 2.0, night_rps: float = 0.0, duration_ms: float = 200.0,
                          memory: int = 512, keep_alive: float = 600.0, init_ms: float = 500.0,
                          server_rps: float = 50.0, server_hourly_usd: float = 0.0416, min_servers: int = 2,
                          seed: int = 1) -> DailyTrafficResult:
    """Simulate a day whose rate follows :data:`DAY_SHAPE` between *night_rps* and *peak_rps*,
    after a warm-up from 18:00 the evening before (so midnight inherits live environments).

    Lambda pays per request and per GB-second, INIT included (AWS's rule since August 2025);
    the servers are sized for the peak (at least *min_servers*, for availability) and paid every
    hour of the day. Environments idle longer than *keep_alive* seconds are reclaimed.
    Simplification: *lambda_usd* is the whole run's bill times the reported day's share of the
    requests, and *p99_ms* covers the whole run.
    """
    from ..billing.bill import bill_summary
    from ..sim import Constant, Diurnal, Exponential, simulate

    if peak_rps <= 0 or night_rps < 0 or night_rps > peak_rps:
        msg = f"need 0 <= night_rps <= peak_rps and peak_rps > 0, got night {night_rps}, peak {peak_rps}"
        raise ValueError(msg)
    hourly = [night_rps + (peak_rps - night_rps) * s for s in DAY_SHAPE]
    # Start at 18:00 the day before (the curve rotated by 18 h), so the reported day, from 6 h
    # into the run, begins with the environments the evening and night left alive.
    res = simulate(arrivals=Diurnal(hourly=hourly[WARM_UP_FROM_HOUR:] + hourly[:WARM_UP_FROM_HOUR]),
                   warm=Exponential(mean=duration_ms / 1000.0), init=Constant(init_ms / 1000.0),
                   keep_alive=keep_alive, duration=SECONDS_PER_DAY + WARM_UP_S, seed=seed, memory_mb=int(memory),
                   series_resolution=600.0)
    s, series = res.summary, res.series
    day = slice(int(WARM_UP_S // series.resolution), len(series))
    requests, cold = int(series.requests[day].sum()), int(series.cold_starts[day].sum())
    servers = max(min_servers, math.ceil(peak_rps / server_rps))
    zero = float(np.sum(series.environments[day] < 1e-9)) * series.resolution / 3600.0
    share = requests / s.requests if s.requests else 0.0
    return DailyTrafficResult(
        peak_rps=peak_rps, night_rps=night_rps, requests=requests, cold_starts=cold,
        cold_start_ratio=cold / requests if requests else 0.0, lambda_usd=float(bill_summary(s).total_usd) * share,
        server_usd=servers * server_hourly_usd * 24, servers=servers, hours_at_zero=zero,
        peak_environments=int(np.ceil(series.environments[day].max())), p99_ms=s.latency_p99_s * 1000.0,
        hours=series.time[day] / 3600.0 - WARM_UP_S / 3600.0, environments=series.environments[day],
        rate=series.requests[day] / series.resolution)


def draw_daily_traffic(result: DailyTrafficResult):
    """Request rate and live environments over the day; the servers as a flat line."""
    fig, ax = _shell.figure(8, 3)
    fig.subplots_adjust(right=0.88)
    ax.step(result.hours, result.environments, where="post", color="#2ca02c", label="Lambda environments")
    ax.axhline(result.servers, color="#1f77b4", linestyle="--", label=f"{result.servers} always-on servers")
    ax.set_xlabel("hour of the day")
    ax.set_ylabel("environments / servers")
    ax.set_xlim(0, 24)
    ax.set_title(f"A day at up to {result.peak_rps:g} requests/s")
    rate_ax = ax.twinx()
    rate_ax.plot(result.hours, result.rate, color="#ff7f0e", linewidth=1, label="requests/s")
    rate_ax.set_ylabel("requests per second")
    lines = ax.get_legend_handles_labels()
    more = rate_ax.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, frameon=False, loc="upper left")
    return fig


def _describe_daily(r: DailyTrafficResult) -> str:
    return (f"{r.requests:,} requests · {r.cold_starts:,} cold starts ({r.cold_start_ratio:.2%}) · "
            f"{r.hours_at_zero:.1f} h at zero environments · p99 {r.p99_ms:,.0f} ms · "
            f"<b>per day: Lambda {_shell.money(r.lambda_usd)}, servers {_shell.money(r.server_usd)}</b>")


def daily_traffic_explorer(peak_rps: float = 2.0, night_rps: float = 0.0, keep_alive: float = 600.0):
    """Sliders for the daily curve and keep-alive; the plot shows scale-to-zero at night."""
    controls = {
        "peak_rps": _shell.slider("float", peak_rps, 0.5, 5, 0.5, "peak req/s"),
        "night_rps": _shell.slider("float", night_rps, 0, 5, 0.1, "night req/s"),
        "keep_alive": _shell.slider("float", keep_alive, 0, 3600, 60, "keep-alive (s)"),
        "duration_ms": _shell.slider("float", 200, 10, 2000, 10, "duration (ms)"),
    }
    return _shell.build(controls, explore_daily_traffic, draw_daily_traffic, _describe_daily,
                        layout=[["peak_rps", "night_rps"], ["keep_alive", "duration_ms"]])


# ---------------------------------------------------------------------------------------------
# The AWS serverless offerings of the course notes, as a map with live demos.


@dataclass(frozen=True)
class Offering:
    """One AWS serverless service: what it is for, how it is paid, and whether the Cloud runs it."""

    name: str
    category: str
    purpose: str
    pay_for: str
    url: str
    runnable: bool
    module: str = ""


OFFERINGS: tuple[Offering, ...] = (
    Offering("AWS Lambda", "compute", "run code on events, no servers", "requests + GB-seconds",
             "https://docs.aws.amazon.com/lambda/latest/dg/welcome.html", True, "03–06, 09"),
    Offering("AWS Fargate", "compute", "run containers without managing servers", "vCPU + GB per second",
             "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate.html", False),
    Offering("Amazon API Gateway", "API", "HTTP/REST/WebSocket front door for functions", "requests",
             "https://docs.aws.amazon.com/apigateway/latest/developerguide/welcome.html", False, "07"),
    Offering("Amazon S3", "data", "object storage; emits events on changes", "GB-month + requests",
             "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html", True, "06"),
    Offering("Amazon DynamoDB", "data", "key-value/document database, on-demand capacity",
             "request units + GB-month",
             "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Introduction.html", False, "08"),
    Offering("Amazon SQS", "integration", "queues that decouple producers and consumers", "requests",
             "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/welcome.html", True, "06"),
    Offering("Amazon SNS", "integration", "publish/subscribe fan-out", "publishes + deliveries",
             "https://docs.aws.amazon.com/sns/latest/dg/welcome.html", True, "06"),
    Offering("Amazon EventBridge", "integration", "event bus with rules and schedules", "events",
             "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-what-is.html", True, "06"),
    Offering("AWS Step Functions", "integration", "workflows (state machines) of service calls",
             "state transitions",
             "https://docs.aws.amazon.com/step-functions/latest/dg/welcome.html", False),
    Offering("Amazon Cognito", "identity", "user sign-up/sign-in, JWTs for APIs", "monthly active users",
             "https://docs.aws.amazon.com/cognito/latest/developerguide/what-is-amazon-cognito.html", False, "07–08"),
    Offering("Amazon CloudWatch Logs", "operations", "every function's log lines", "GB ingested + stored",
             "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/WhatIsCloudWatchLogs.html", True, "03–04"),
)

_ROLE = "arn:aws:iam::123456789012:role/lambda-role"
_HELLO = "def handler(event, context):\n    return {'hello': event.get('name', 'world')}\n"


def _queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _demo_lambda(cloud: Any) -> str:
    from .. import zip_files

    lam = cloud.client("lambda")
    if "map-hello" not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]:
        lam.create_function(FunctionName="map-hello", Runtime="python3.12", Handler="app.handler", Role=_ROLE,
                            Code={"ZipFile": zip_files({"app.py": _HELLO})})
    out = lam.invoke(FunctionName="map-hello", Payload=b'{"name": "map"}')["Payload"].read().decode()
    inv = cloud.invocations[-1]
    return f"invoke map-hello -> {out} ({'cold' if inv.cold else 'warm'}, billed {inv.billed_ms} ms)"


def _demo_s3(cloud: Any) -> str:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="map-demo")
    s3.put_object(Bucket="map-demo", Key="hello.txt", Body=b"stored")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="map-demo")["Contents"]]
    return f"put hello.txt, list_objects_v2 -> {keys}"


def _demo_sqs(cloud: Any) -> str:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="map-demo")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="order 1")
    got = sqs.receive_message(QueueUrl=url).get("Messages", [])
    return f"send 'order 1', receive -> {[m['Body'] for m in got]}"


def _demo_sns(cloud: Any) -> str:
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    topic = sns.create_topic(Name="map-demo")["TopicArn"]
    url = sqs.create_queue(QueueName="map-demo-subscriber")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=_queue_arn(sqs, url))
    sns.publish(TopicArn=topic, Message="new order")
    cloud.clock.advance(1)
    body = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    return f"publish 'new order' -> the SQS subscriber got an envelope with Message={body['Message']!r}"


def _demo_events(cloud: Any) -> str:
    events, sqs = cloud.client("events"), cloud.client("sqs")
    url = sqs.create_queue(QueueName="map-demo-events")["QueueUrl"]
    events.put_rule(Name="map-demo", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="map-demo", Targets=[{"Id": "q", "Arn": _queue_arn(sqs, url)}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": '{"order": 1}'}])
    cloud.clock.advance(1)
    got = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    return f"put_events source=shop -> the rule matched and delivered detail {got['detail']}"


def _demo_logs(cloud: Any) -> str:
    _demo_lambda(cloud)
    logs = cloud.client("logs")
    events = logs.filter_log_events(logGroupName="/aws/lambda/map-hello")["events"]
    return "last log line of map-hello: " + events[-1]["message"].strip()


_DEMOS = {"AWS Lambda": _demo_lambda, "Amazon S3": _demo_s3, "Amazon SQS": _demo_sqs, "Amazon SNS": _demo_sns,
          "Amazon EventBridge": _demo_events, "Amazon CloudWatch Logs": _demo_logs}


def run_offering_demo(cloud: Any, name: str) -> str:
    """Run the small live demo of *name* on *cloud* (a virtual-clock Cloud) and describe the result."""
    offering = next((o for o in OFFERINGS if o.name == name), None)
    if offering is None:
        msg = f"unknown offering {name!r}; choose one of {', '.join(o.name for o in OFFERINGS)}"
        raise ValueError(msg)
    if not offering.runnable:
        where = f" (module {offering.module})" if offering.module else ""
        return f"{name} is not simulated here{where}: read {offering.url}"
    return _DEMOS[name](cloud)


def draw_offerings():
    """The serverless map: one column per category, runnable services in green."""
    from matplotlib.patches import FancyBboxPatch

    categories = list(dict.fromkeys(o.category for o in OFFERINGS))
    fig, ax = _shell.figure(10, 2.8)
    fig.subplots_adjust(bottom=0.02, top=0.9)
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


def offerings_map(cloud: Any):
    """Pick a service: its purpose, price model and doc link; Run demo runs it live on *cloud*.

    Give the map a Cloud of its own so it keeps working after the notebook closes its main one;
    a failed demo (a closed Cloud, say) is shown in the widget, not hidden in a log.
    """
    w = _shell.widgets_module()
    picker = w.Dropdown(options=[o.name for o in OFFERINGS], value="Amazon SQS", description="service")
    info, result = w.HTML(), w.HTML()
    button = w.Button(description="Run demo", icon="play")
    box = w.VBox([w.HBox([picker, button]), info, result])
    box.controls, box.summary, box.result, box.cloud = {"service": picker}, result, None, cloud

    def show(_change: Any = None) -> None:
        o = next(x for x in OFFERINGS if x.name == picker.value)
        info.value = (f"<b>{o.name}</b> ({o.category}): {o.purpose}. You pay for {o.pay_for}. "
                      f"<a href='{o.url}' target='_blank'>AWS docs</a>"
                      + (f" · course module {o.module}" if o.module else ""))
        button.disabled = not o.runnable
        result.value = "" if o.runnable else "<i>not simulated here</i>"

    def run(_button: Any = None) -> None:
        try:
            box.result = run_offering_demo(box.cloud, picker.value)
        except Exception as exc:  # shown to the learner: a widget callback's errors are otherwise invisible
            box.result = None
            result.value = f"<b>The demo failed:</b> {type(exc).__name__}: {exc}"
            return
        result.value = f"<code>{box.result}</code>"

    picker.observe(show, names="value")
    button.on_click(run)
    box.run = run
    show()
    return box
