"""minilambda: a local AWS Lambda you can run, poke and measure.

Real Python handlers run in real, isolated processes that speak the Lambda Runtime API; the same
platform rules (placement, keep-alive, concurrency, throttling) also run on a virtual clock, so
hours of traffic take seconds. ``cloud.client("lambda")`` is a real botocore client.
"""

from .clock import Clock, VirtualClock, WallClock
from .cloud import Cloud
from .errors import AwsError, MiniLambdaError
from .lambda_.code import zip_directory, zip_files
from .model.platform import Placement, Platform
from .records import EnvironmentEvent, Invocation, Outcome, billed_ms

__all__ = [
    "AwsError",
    "Clock",
    "Cloud",
    "EnvironmentEvent",
    "Invocation",
    "MiniLambdaError",
    "Outcome",
    "Placement",
    "Platform",
    "VirtualClock",
    "WallClock",
    "billed_ms",
    "zip_directory",
    "zip_files",
]

__version__ = "0.1.0"
