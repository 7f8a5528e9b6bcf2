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
* ``spike``         module 01: one feature spikes, monolith vs microservices
* ``blast_radius``  module 01: a failing dependency, with and without a queue
* ``chain``         module 01: a chain of synchronous calls, latency and billed time
* ``daily_traffic`` module 02: a day of traffic on Lambda vs always-on servers
* ``offerings``     module 02: the AWS serverless map with live demos
* ``usage_plan``    module 07: an API key's token bucket and quota (429s)
* ``mobile_load``   module 08: a day of a mobile app's users and the month's bill
* ``runtimes``      module 09: custom runtimes, awslambdaric as a layer, INIT per runtime
* ``cli_payload``   module 09: what AWS CLI v1/v2 send for ``invoke --payload``
* ``diagrams``      the course's diagrams (one per module at least)

Importing this package does not import ipywidgets; building an explorer does.
"""

from .break_even import BreakEvenResult, draw_break_even, explore_break_even, server_vs_serverless
from .cold_starts import ColdStartResult, cold_start_explorer, draw_cold_starts, explore_cold_starts
from .concurrency import ConcurrencyResult, concurrency_explorer, draw_concurrency, explore_concurrency
from .cost import CostResult, cost_explorer, draw_cost, explore_cost
from .events import ECHO_HANDLER, EVENT_SOURCES, event_explorer, invoke_with_event, make_event
from .failure_paths import FailurePaths, draw_failure_paths, failure_path_timeline, failure_paths
from .power_tuning import draw_power_tuning, explore_power_tuning, power_tuning_explorer
from ._shop import SHOP, Feature, monolith_of
from .blast_radius import BlastRadiusResult, blast_radius_explorer, draw_blast_radius, explore_blast_radius
from .chain import ChainResult, chain_explorer, draw_chain, explore_chain
from .cli_payload import CLI_V1_REJECTS, CliOutcome, cli_payload, cli_payload_explorer
from .daily_traffic import DAY_SHAPE, DailyTrafficResult, daily_traffic_explorer, draw_daily_traffic, explore_daily_traffic
from .mobile_load import HOURLY, MobileLoadResult, draw_mobile_load, explore_mobile_load, mobile_load_explorer
from .offerings import OFFERINGS, Offering, offerings_map, run_offering_demo
from .runtimes import (EXTENSION_SOURCE, RIC_BOOTSTRAP, RUNTIME_API, RuntimeTiming, draw_runtimes, explore_runtimes,
                       python_bootstrap, ric_layer_files, zip_with_modes)
from .spike import SpikeResult, draw_spike, explore_spike, spike_explorer
from .usage_plan import UsagePlanResult, draw_usage_plan, explore_usage_plan, usage_plan_explorer

__all__ = [
    "ColdStartResult", "explore_cold_starts", "draw_cold_starts", "cold_start_explorer",
    "ConcurrencyResult", "explore_concurrency", "draw_concurrency", "concurrency_explorer",
    "CostResult", "explore_cost", "draw_cost", "cost_explorer",
    "explore_power_tuning", "draw_power_tuning", "power_tuning_explorer",
    "BreakEvenResult", "explore_break_even", "draw_break_even", "server_vs_serverless",
    "EVENT_SOURCES", "ECHO_HANDLER", "make_event", "invoke_with_event", "event_explorer",
    "FailurePaths", "failure_paths", "draw_failure_paths", "failure_path_timeline",
    "Feature", "SHOP", "monolith_of",
    "SpikeResult", "explore_spike", "draw_spike", "spike_explorer",
    "BlastRadiusResult", "explore_blast_radius", "draw_blast_radius", "blast_radius_explorer",
    "ChainResult", "explore_chain", "draw_chain", "chain_explorer",
    "DAY_SHAPE", "DailyTrafficResult", "explore_daily_traffic", "draw_daily_traffic", "daily_traffic_explorer",
    "Offering", "OFFERINGS", "run_offering_demo", "offerings_map",
    "UsagePlanResult", "explore_usage_plan", "draw_usage_plan", "usage_plan_explorer",
    "HOURLY", "MobileLoadResult", "explore_mobile_load", "draw_mobile_load", "mobile_load_explorer",
    "RUNTIME_API", "python_bootstrap", "RIC_BOOTSTRAP", "ric_layer_files", "EXTENSION_SOURCE", "zip_with_modes",
    "RuntimeTiming", "explore_runtimes", "draw_runtimes",
    "CliOutcome", "cli_payload", "cli_payload_explorer", "CLI_V1_REJECTS",
]


def __getattr__(name: str):
    """``Explorer`` (the shared shell) is loaded on first use: it needs ipywidgets."""
    if name == "Explorer":
        from ._shell import Explorer

        return Explorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
