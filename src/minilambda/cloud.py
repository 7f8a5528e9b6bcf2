"""``Cloud``: one simulated AWS account and region, owning everything that happens in it.

A Cloud owns its functions, execution environments (processes), clock, records and logs; there
is no global state, so two Clouds never see each other. ``cloud.client("lambda")`` returns a real
botocore client whose requests the Cloud answers in-process.

Example::

    from minilambda import Cloud, zip_directory
    with Cloud(clock="virtual", seed=1) as cloud:
        lam = cloud.client("lambda")
        lam.create_function(FunctionName="hello", Runtime="python3.12", Handler="app.handler",
                            Role="arn:aws:iam::123456789012:role/r",
                            Code={"ZipFile": zip_directory("functions/hello")})
        lam.invoke(FunctionName="hello", Payload=b'{"name": "Ada"}')["Payload"].read()
"""

from __future__ import annotations

import atexit
import json
import os
import random
import shutil
import tempfile
import threading
import weakref
from typing import Any

from .clock import Clock, VirtualClock, WallClock
from .delivery import Deliveries
from .errors import CloudClosedError, UnknownServiceError
from .lambda_.api import LambdaApi
from .lambda_.backend import LambdaBackend
from .lambda_.executor import Host
from .lambda_.url_dataplane import FunctionUrlDataPlane
from .model.limits import DEFAULT_KEEP_ALIVE_S
from .model.platform import Placement, Platform
from .records import Invocation, RecordLog
from .runtime.supervisor import Supervisor
from .services.cloudwatch_logs import CloudWatchLogs
from .services.cloudwatch_logs_api import CloudWatchLogsApi
from .services.eventbridge import EventBridgeBackend
from .services.eventbridge_api import EventBridgeApi
from .services.s3 import S3Backend
from .services.s3_api import S3Api
from .services.sns import SnsBackend
from .services.sns_api import SnsApi
from .services.sqs import SqsBackend
from .services.sqs_api import SqsApi
from .apigateway.control import ApiGatewayControl
from .apigateway.dataplane import ApiGateway
from .apigateway.host import GatewayHost
from .apigateway.management import ManagementApi
from .apigateway.websocket import WebSocketApis
from .apigateway.websocket_server import ApiServer
from .apigateway.sigv4_auth import Credential, SignedRequest, verify_sigv4
from .cloudformation.api import CloudFormationApi
from .cloudformation.engine import Engine
from .services.cognito import CognitoBackend
from .services.cognito_api import CognitoApi
from .services.dynamodb import DynamoDBBackend
from .services.dynamodb_api import DynamoDBApi
from .services.moto_bridge import MotoBackends, MotoService
from .wire import Dispatcher, LoopbackEndpoint, Request, Response, attach_in_process, isolated_botocore_session
from .wire.credentials import CredentialStore, SignatureCheck


def _closer(ref: "weakref.ref[Cloud]") -> Any:
    """An exit hook that closes the Cloud if it is still alive (it holds no strong reference)."""
    def close() -> None:  # pragma: no cover - exercised by the orphan test in a subprocess
        cloud = ref()
        if cloud is not None:
            cloud.close()
    return close


def _new_workdir() -> str:
    """A private folder for code, layers and environments' temp folders.

    It lives outside ``/tmp`` when possible (``/var/tmp``), so that each environment can get a
    private ``/tmp`` of its own (mounted over ``/tmp``) without hiding its code.
    """
    for base in (os.environ.get("MINILAMBDA_WORKDIR"), "/var/tmp"):
        if base and os.path.isdir(base) and os.access(base, os.W_OK):
            return tempfile.mkdtemp(prefix="minilambda-", dir=base)
    return tempfile.mkdtemp(prefix="minilambda-")


class Cloud:
    """A simulated AWS account: Lambda (and friends) on a laptop.

    Args:
        clock: ``"wall"`` (real time), ``"virtual"`` (time moves only on ``clock.advance``), or a Clock.
        start: the virtual clock's start time in epoch seconds (default: now).
        seed: seeds every random choice (placement, alias routing, log stream names, retries).
        region: the AWS region name used in ARNs and ``AWS_REGION``.
        account_concurrency: the account's concurrency limit (AWS default 1,000).
        keep_alive: seconds an idle environment lives (AWS does not document it; 600 by default).
        placement: which idle environment serves a warm request (``"newest"``, ``"mru"``, ``"lru"``, ``"random"``).
        max_timeout: the largest function Timeout accepted (900 s in AWS's docs; 1,800 s in SDK docs since Nov 2026).
        max_environments: cap on live environments (processes) on this machine; beyond it requests
            are throttled like the account limit.
        bill_init: bill the INIT phase of on-demand invocations (AWS's rule since 1 August 2025).
    """

    def __init__(self, *, clock: str | Clock = "wall", start: float | None = None, seed: int | None = None,
                 region: str = "us-east-1", account_id: str = "123456789012", account_concurrency: int = 1000,
                 keep_alive: float | None = DEFAULT_KEEP_ALIVE_S, placement: str | Placement = "newest",
                 max_timeout: int = 900, max_environments: int = 64, bill_init: bool = True,
                 workdir: str | None = None) -> None:
        if isinstance(clock, Clock):
            self.clock = clock
        elif clock == "virtual":
            self.clock = VirtualClock(start)
        elif clock == "wall":
            if start is not None:
                msg = "start= only applies to clock='virtual'; the wall clock always starts now"
                raise ValueError(msg)
            self.clock = WallClock()
        else:
            msg = f"clock must be 'wall' or 'virtual' (or a Clock object), got {clock!r}"
            raise ValueError(msg)
        self.seed = seed
        self.rng = random.Random(seed)
        self.region = region
        self.account_id = account_id
        self._own_workdir = workdir is None
        self.workdir = workdir or _new_workdir()
        self.records = RecordLog()
        # Starts and contains this Cloud's environment processes; its guardian removes the work
        # folder and kills what is left even if this interpreter is SIGKILLed.
        self.supervisor = Supervisor(self.workdir, remove_workdir=self._own_workdir)
        self._lock = threading.Lock()
        self._closed = False
        self._loopback: LoopbackEndpoint | None = None
        self._session: Any = None
        self._runtime_dir: str | None = None
        self.dispatcher = Dispatcher()
        self.deliveries = Deliveries(self.clock, self.records)
        self.logs = CloudWatchLogs(self.clock)
        self._wire_services()
        host = Host(self.workdir, region, account_id, lambda: self.endpoint_url, lambda: self.runtime_dir,
                    lambda: self.supervisor, add_keys=lambda *keys: self._add_environment_keys(*keys),
                    drop_keys=lambda key: self.credentials.remove(key))
        self.lambda_ = LambdaBackend(
            host=host, clock=self.clock, rng=self.rng, records=self.records, logs=self.logs,
            deliveries=self.deliveries, sqs=self.sqs, max_timeout=max_timeout, bill_init=bill_init,
            platform={"account_concurrency": account_concurrency, "keep_alive": keep_alive, "placement": placement,
                      "max_environments": max_environments, "seed": self.rng.randrange(2**32), "id_prefix": "env"})
        self.dispatcher.register("lambda", LambdaApi(self.lambda_))
        self._wire_app_services()
        self._atexit = _closer(weakref.ref(self))
        atexit.register(self._atexit)  # processes end with the interpreter, too

    def _seeded(self) -> random.Random:
        """A generator of its own for one service, seeded from the Cloud's (ids never repeat)."""
        return random.Random(self.rng.randrange(2**32))

    def _wire_services(self) -> None:
        """Build the services' backends and register their adapters (one line each)."""
        where = (self.clock, self.region, self.account_id)
        drop = self.deliveries.drop
        notify = self._notify
        self.sqs = SqsBackend(*where, rng=self._seeded())
        self.sns = SnsBackend(*where, rng=self._seeded(), notify=notify, sqs=self.sqs, on_drop=drop)
        self.s3 = S3Backend(*where, rng=self._seeded(), notify=notify, sqs=self.sqs, sns=self.sns, on_drop=drop)
        self.eventbridge = EventBridgeBackend(*where, rng=self._seeded(), notify=notify, sqs=self.sqs, sns=self.sns,
                                              on_drop=drop)
        self.deliveries.register("sqs", lambda arn, body, attrs, source: self.sqs.send(arn, body, attrs))
        self.deliveries.register("sns", lambda arn, body, attrs, source: self.sns.publish_raw(arn, body))
        self.deliveries.register("events", lambda arn, body, attrs, source: self.eventbridge.put_event(
            arn, "lambda", "Lambda Function Invocation Result", body))
        self.dispatcher.register("logs", CloudWatchLogsApi(self.logs))
        self.dispatcher.register("sqs", SqsApi(self.sqs))
        self.dispatcher.register("sns", SnsApi(self.sns))
        self.dispatcher.register("s3", S3Api(self.s3))
        self.dispatcher.register("events", EventBridgeApi(self.eventbridge))

    def _wire_app_services(self) -> None:
        """CloudFormation, moto-backed DynamoDB (+ Streams, whose mappings join Lambda's) and Cognito,
        and API Gateway (control planes, data plane, WebSocket APIs, ``@connections``)."""
        self._wire_moto_services()
        self._wire_api_gateway()

    def _wire_moto_services(self) -> None:
        """CloudFormation, and the services moto answers on this Cloud's private state."""
        self.moto = MotoBackends(self.account_id, self.region)  # private moto state, dropped at close()
        self.cloudformation = Engine(self.client, self.clock, self.region, self.account_id, self._seeded())
        self.dispatcher.register("cloudformation", CloudFormationApi(self.cloudformation, self.cloudformation.rng))
        dynamodb = MotoService(self.moto, "dynamodb")
        self.dynamodb = DynamoDBBackend(self.clock, dynamodb.backend)
        self.dispatcher.register("dynamodb", DynamoDBApi(self.dynamodb, dynamodb))
        self.dispatcher.register("dynamodbstreams", MotoService(self.moto, "dynamodbstreams"))
        self.lambda_.attach_stream_source(self.dynamodb)
        cognito = MotoService(self.moto, "cognito-idp")
        self.cognito = CognitoBackend(self.clock, self.region, self._seeded(), cognito.backend)
        self.dispatcher.register("cognito-idp", CognitoApi(self.cognito, cognito))

    def _wire_api_gateway(self) -> None:
        """API Gateway sees a ``GatewayHost``, not the Cloud; both control planes share moto's url map."""
        host = GatewayHost(clock=self.clock, rng=self.rng, region=self.region, account_id=self.account_id,
                           logs=self.logs, lambda_=self.lambda_, client=self.client,
                           endpoint_url=lambda: self.endpoint_url, closed=lambda: self._closed)
        self.apigateway = host.apigateway = ApiGateway(host)
        self.apigateway.jwks_resolvers.append(self.cognito.jwks_for_issuer)  # the Cloud's own pools
        control_planes = MotoService(self.moto, "apigateway")  # moto's url map serves both
        for name in ("apigateway", "apigatewayv2"):
            self.dispatcher.register(name, ApiGatewayControl(control_planes, self.apigateway, name))
        self.websocket_apis = host.websocket_apis = WebSocketApis(host, ApiServer)
        self.dispatcher.register("apigatewaymanagementapi", ManagementApi(self.websocket_apis))
        # Function URLs verify SigV4 against the same keys as API Gateway's AWS_IAM (add_credentials).
        self.function_urls = FunctionUrlDataPlane(self.lambda_, self.logs, self.apigateway.credentials.get)
        self._wire_credentials()

    def _wire_credentials(self) -> None:
        """One credential store (API Gateway's keys, the Cloud's own pair, environments' temporary keys)
        checks SigV4 on the loopback endpoint, API Gateway's AWS_IAM, function URLs and S3's presigned URLs."""
        self.credentials = CredentialStore(self.apigateway.credentials)
        s3 = self.dispatcher.adapter("s3")
        s3.credentials = self.credentials.secrets  # type: ignore[attr-defined]
        self.signatures = SignatureCheck(
            self._verify_signature, self.credentials, self.clock.now, self.region,
            lambda service: self.dispatcher.index(service).protocol if service in self.dispatcher else "rest-json",
            s3.error_response)  # type: ignore[attr-defined]

    def _verify_signature(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, service: str,
                          now: float) -> Any:
        """A received request's SigV4 signature, recomputed by botocore's signer with the stored secret."""
        return verify_sigv4(SignedRequest(method, url, headers, body), self.credentials.get, now, region=self.region,
                            service=service)

    def _add_environment_keys(self, key: str, secret: str, token: str, arn: str) -> None:
        """An execution environment's temporary keys, valid until it is reclaimed."""
        self.credentials.add(Credential(key, secret, token, None, self.account_id, arn, f"{key}:{arn.rsplit('/', 1)[-1]}"))

    def _notify(self, target_arn: str, event: Any) -> None:
        """A service notifies a target (S3, SNS, EventBridge → Lambda or SQS); failures are drops."""
        source = event.get("source", "service") if isinstance(event, dict) else "service"
        reason = self.deliveries.send(target_arn, json.dumps(event), source=source)
        if reason is not None:
            self.deliveries.drop("notification", target_arn, reason)

    def _boto_session(self) -> Any:
        import boto3

        with self._lock:  # one session per Cloud: its loaded service models make new clients cheap
            if self._session is None:
                self._session = boto3.session.Session(aws_access_key_id="minilambda",
                                                      aws_secret_access_key="minilambda", region_name=self.region,
                                                      botocore_session=isolated_botocore_session(self.region))
            return self._session

    # -- clients and endpoints ---------------------------------------------------------------

    @property
    def platform(self) -> Platform:
        """The platform model of this Cloud's Lambda (environments, concurrency)."""
        return self.lambda_.platform

    def dispatch(self, service: str | None, request: Request) -> Response:
        """Answer one wire request for *service*."""
        if self._closed:
            raise CloudClosedError("this Cloud is closed; create a new one")
        return self.dispatcher.dispatch(service, request)

    def client(self, service_name: str, **config: Any) -> Any:
        """A real botocore client for *service_name* whose requests this Cloud answers in-process.

        Retries are off by default so that throttling (429) is visible at once; pass
        ``retries={"mode": "standard"}`` to see boto3's own retry behaviour.
        """
        from botocore import UNSIGNED
        from botocore.config import Config

        if service_name not in self.dispatcher:
            raise UnknownServiceError(
                f"minilambda does not offer {service_name!r}; available: {', '.join(self.dispatcher.services)}")
        options: dict[str, Any] = {"signature_version": UNSIGNED, "retries": {"total_max_attempts": 1},
                                   "read_timeout": 1000, "connect_timeout": 5}
        if service_name == "s3":
            options["s3"] = {"addressing_style": "path"}
        endpoint_url = config.pop("endpoint_url", None) or f"https://{service_name}.{self.region}.amazonaws.com"
        options.update(config)
        session = self._boto_session()
        client = session.client(service_name, region_name=self.region, config=Config(**options),
                                endpoint_url=endpoint_url)
        attach_in_process(client, lambda req, _name=service_name: self.dispatch(_name, req))
        return client

    @property
    def endpoint_url(self) -> str:
        """The loopback HTTP endpoint handlers reach with plain boto3 (their ``AWS_ENDPOINT_URL``)."""
        with self._lock:
            if self._loopback is None:
                self._loopback = LoopbackEndpoint(self.dispatch, check=self.signatures.check)
            return self._loopback.url

    @property
    def runtime_dir(self) -> str:
        """A folder holding only boto3, botocore and their dependencies, for handlers' import path."""
        with self._lock:
            if self._runtime_dir is None:
                from .runtime.environment import build_runtime_dir

                self._runtime_dir = build_runtime_dir(os.path.join(self.workdir, "runtime"))
            return self._runtime_dir

    def declare_duration(self, function_name: str, distribution: Any, *, reference_memory: int | None = None,
                         cpu_bound: float = 1.0) -> None:
        """Declare how long a function's invocations take (a simulator-only knob, not an AWS API).

        The real handler still runs; its *recorded* duration (and so the clock, the REPORT line
        and the bill) comes from *distribution* (seconds, a ``minilambda.sim`` distribution, or a
        number), measured at *reference_memory* MB (default: the function's MemorySize now) and
        scaled by CPU share for the *cpu_bound* fraction when MemorySize changes. A declared
        duration longer than the function's Timeout ends as a timeout, as it would on AWS.
        """
        self.lambda_.declare_duration(function_name, distribution, reference_memory=reference_memory,
                                      cpu_bound=cpu_bound)

    # -- API Gateway ---------------------------------------------------------------------------

    def api_url(self, api_id: str, stage: str | None = None) -> str:
        """The base URL of an API stage on loopback (``http://127.0.0.1:PORT/{stage}``; ``$default``:
        no stage segment; ``ws://…`` for a WebSocket API), standing for
        ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}``."""
        return self.apigateway.url(api_id, stage)

    def http(self, method: str, url: str, *, headers: dict[str, str] | None = None,
             body: bytes | str | None = None) -> Any:
        """Call an API or a function URL (``https://<url-id>.lambda-url.…``) in-process (no socket), through
        the same code path as real HTTP requests; on a virtual clock the clock advances by the request's
        duration. Returns an ``HttpResponse``."""
        if ".lambda-url." in url.partition("//")[2].split("/", 1)[0]:
            return self.function_urls.request(method, url, headers, body)
        return self.apigateway.request(method, url, headers, body)

    def function_url_endpoint(self, function_url: str) -> str:
        """The loopback address (``http://127.0.0.1:PORT/``) serving a ``FunctionUrl``."""
        return self.function_urls.endpoint(function_url)

    @property
    def api_requests(self) -> list[Any]:
        """Every API Gateway request so far (``ApiRequest`` records), in the order they ended."""
        return self.apigateway.requests

    # -- Cognito -------------------------------------------------------------------------------

    def cognito_issuer_url(self, pool_id: str) -> str:
        """Where a user pool's issuer documents are served on loopback: ``http://127.0.0.1:PORT/{pool_id}``
        (+ ``/.well-known/jwks.json``, ``/.well-known/openid-configuration``), standing for the
        tokens' ``iss``, ``https://cognito-idp.{region}.amazonaws.com/{pool_id}``."""
        return f"{self.endpoint_url}/{pool_id}"

    # -- records -----------------------------------------------------------------------------

    @property
    def invocations(self) -> list[Invocation]:
        """Every invocation so far, in the order they ended."""
        return self.records.invocations

    def log_lines(self, function_name: str) -> list[str]:
        """All log lines of a function (group ``/aws/lambda/<name>``), oldest first."""
        return self.logs.lines(f"/aws/lambda/{function_name}")

    # -- life --------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop every environment process and server, and remove the Cloud's temp files."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self._atexit)
        self.websocket_apis.close()
        self.function_urls.close()
        self.apigateway.close()
        self.lambda_.close()
        if self._loopback is not None:
            self._loopback.close()
        self.moto.close()
        self.clock.close()
        self.supervisor.close()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Cloud":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - depends on the garbage collector
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        kind = "virtual" if self.clock.virtual else "wall"
        return (f"Cloud(clock={kind!r}, region={self.region!r}, functions={len(self.lambda_.registry.functions)}, "
                f"invocations={len(self.records.invocations)}, environments={self.platform.live})")
