"""Course widgets: each explorer is a pure, tested ``explore_*`` function of the model, a
``draw_*`` function (a matplotlib figure of a fixed size) and a ``*_explorer`` that wires sliders to
both (see ``_shell.py``). One module per explorer:

* ``cold_starts``   keep-alive, placement, provisioned concurrency, memory
* ``concurrency``   a burst against the account and reserved limits
* ``cost``          a month's bill, INIT and cold starts included
* ``power_tuning``  duration and cost at every memory size
* ``break_even``    Lambda versus always-on servers
* ``events``        what each trigger hands a function (a real invocation)
* ``failure_paths`` where each asynchronous event ended
* ``diagrams``      the course's diagrams (lifecycle, async retries, event source mapping)

Importing this package does not import ipywidgets; building an explorer does.
"""

from .break_even import BreakEvenResult, draw_break_even, explore_break_even, server_vs_serverless
from .cold_starts import ColdStartResult, cold_start_explorer, draw_cold_starts, explore_cold_starts
from .concurrency import ConcurrencyResult, concurrency_explorer, draw_concurrency, explore_concurrency
from .cost import CostResult, cost_explorer, draw_cost, explore_cost
from .events import ECHO_HANDLER, EVENT_SOURCES, event_explorer, invoke_with_event, make_event
from .failure_paths import FailurePaths, draw_failure_paths, failure_path_timeline, failure_paths
from .power_tuning import draw_power_tuning, explore_power_tuning, power_tuning_explorer

__all__ = [
    "ColdStartResult", "explore_cold_starts", "draw_cold_starts", "cold_start_explorer",
    "ConcurrencyResult", "explore_concurrency", "draw_concurrency", "concurrency_explorer",
    "CostResult", "explore_cost", "draw_cost", "cost_explorer",
    "explore_power_tuning", "draw_power_tuning", "power_tuning_explorer",
    "BreakEvenResult", "explore_break_even", "draw_break_even", "server_vs_serverless",
    "EVENT_SOURCES", "ECHO_HANDLER", "make_event", "invoke_with_event", "event_explorer",
    "FailurePaths", "failure_paths", "draw_failure_paths", "failure_path_timeline",
]


def __getattr__(name: str):
    """``Explorer`` (the shared shell) is loaded on first use: it needs ipywidgets."""
    if name == "Explorer":
        from ._shell import Explorer

        return Explorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
