"""AWS Lambda's limits and quotas: the single place every layer reads them from.

AWS: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html and
https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
"""

from __future__ import annotations

# Concurrency and scaling.
ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED = 100
SCALING_BURST = 1000  # environments a function may add at once
SCALING_REFILL_PER_S = 100.0  # 1,000 every 10 s
DEFAULT_KEEP_ALIVE_S = 600.0  # a model: AWS does not document its idle period

# Initialisation types (``AWS_LAMBDA_INITIALIZATION_TYPE``).
ON_DEMAND = "on-demand"
PROVISIONED = "provisioned-concurrency"

# Invoke payloads.
SYNC_PAYLOAD_LIMIT = 6_291_456
ASYNC_PAYLOAD_LIMIT = 1_048_576  # 1 MB since Oct 2025 (was 256 KB)

# Code, configuration and account storage.
ZIPPED_LIMIT = 52_428_800
UNZIPPED_LIMIT = 262_144_000
CREATE_REQUEST_LIMIT = 70_167_211  # the largest CreateFunction request body
TOTAL_CODE_SIZE = 80_530_636_800
ENV_VARS_LIMIT = 4096
MAX_LAYERS = 5
MEMORY_MIN, MEMORY_MAX = 128, 10_240
EPHEMERAL_MIN, EPHEMERAL_MAX = 512, 10_240
MAX_TIMEOUT_S = 900
LIST_PAGE_SIZE = 50
