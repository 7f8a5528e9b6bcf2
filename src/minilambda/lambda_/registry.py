"""The function registry: functions, versions, aliases, layers and code packages, with AWS's
validation rules and messages.

Internal objects use snake_case; ``configuration()`` builds the AWS-shaped
``FunctionConfiguration`` dict at the edge. Messages are AWS's own where recorded
(`aws-facts.md` §3.6, golden cases in ``aws-recorded/lambda.json``).
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import hashlib
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import AwsError, conflict, invalid_parameter, not_found, validation_error
from ..isotime import lambda_timestamp
from ..model import limits
from .code import CodePackage
from .validation import validate_config

NAME_PATTERN = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
                r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?")
NAMESPACED_PATTERN = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
                      r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?")
QUALIFIER_PATTERN = r"\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+"
ALIAS_PATTERN = r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
_ARN_RX = re.compile(r"^arn:(aws[a-zA-Z-]*)?:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::(.+))?$")
_PARTIAL_RX = re.compile(r"^(\d{12}):function:([^:]+)(?::(.+))?$")


@dataclass
class LayerVersion:
    name: str
    version: int
    arn: str  # layer version ARN
    layer_arn: str
    code: CodePackage
    description: str = ""
    compatible_runtimes: list[str] = field(default_factory=list)
    compatible_architectures: list[str] = field(default_factory=list)
    license_info: str | None = None
    created: float = 0.0


@dataclass
class FunctionVersion:
    """One version of a function: ``$LATEST`` (mutable) or a published, immutable snapshot."""

    name: str
    version: str
    config: dict[str, Any]  # AWS field names: Runtime, Role, Handler, Timeout, MemorySize, ...
    code: CodePackage
    layers: list[LayerVersion]
    revision_id: str
    last_modified: float
    state: str = "Active"  # Pending right after create

    @property
    def memory_size(self) -> int:
        return int(self.config["MemorySize"])

    @property
    def timeout(self) -> int:
        return int(self.config["Timeout"])

    @property
    def runtime(self) -> str:
        return self.config.get("Runtime", "")

    @property
    def architecture(self) -> str:
        return self.config["Architectures"][0]

    @property
    def environment(self) -> dict[str, str]:
        env = self.config.get("Environment")
        return dict(env.get("Variables", {})) if env else {}


@dataclass
class Alias:
    name: str
    function_version: str
    description: str = ""
    weights: dict[str, float] = field(default_factory=dict)
    revision_id: str = ""


@dataclass
class Function:
    name: str
    arn: str
    latest: FunctionVersion
    versions: dict[str, FunctionVersion] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    next_version: int = 1
    tags: dict[str, str] = field(default_factory=dict)
    event_invoke_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    provisioned: dict[str, dict[str, Any]] = field(default_factory=dict)  # qualifier -> config
    duration_model: Any = None  # a simulator-only declared duration (see Cloud.declare_duration)

    def get_version(self, version: str) -> FunctionVersion | None:
        if version == "$LATEST":
            return self.latest
        return self.versions.get(version)


class Registry:
    """All functions and layers of one Cloud, with AWS's validation."""

    def __init__(self, region: str, account_id: str, store: str, *, max_timeout: int = 900,
                 clock: Any = None) -> None:
        self.region = region
        self.account_id = account_id
        self.store = store
        self.max_timeout = max_timeout
        self.clock = clock
        self.functions: dict[str, Function] = {}
        self.layers: dict[str, list[LayerVersion]] = {}
        os.makedirs(os.path.join(store, "code"), exist_ok=True)

    # -- names -------------------------------------------------------------------------------

    def function_arn(self, name: str, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def parse_name(self, function_name: str, qualifier: str | None = None, *, namespaced: bool = True,
                   field_name: str = "functionName") -> tuple[str, str | None]:
        """Split a name, partial ARN or ARN into ``(name, qualifier)``, validating like AWS."""
        pattern = NAMESPACED_PATTERN if namespaced else NAME_PATTERN
        if not re.fullmatch(pattern, function_name):
            raise validation_error(
                f"1 validation error detected: Value '{function_name}' at '{field_name}' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: {pattern}")
        if qualifier is not None and not re.fullmatch(QUALIFIER_PATTERN, qualifier):
            raise validation_error(
                f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: {QUALIFIER_PATTERN}")
        m = _ARN_RX.match(function_name)
        if m:
            region, name, q = m.group(2), m.group(4), m.group(5)
            if region != self.region:
                raise not_found(f"Functions from '{region}' are not reachable in this region ('{self.region}')")
        else:
            m2 = _PARTIAL_RX.match(function_name)
            if m2:
                name, q = m2.group(2), m2.group(3)
            elif ":" in function_name:
                name, q = function_name.split(":", 1)
            else:
                name, q = function_name, None
        if q is not None and qualifier is not None and q != qualifier:
            raise invalid_parameter("The derived qualifier from the function name does not match the specified qualifier.")
        return name, q if q is not None else qualifier

    def get(self, name: str, qualifier: str | None = None, *, qualified_message: bool = False) -> Function:
        fn = self.functions.get(name)
        if fn is None:
            shown = self.function_arn(name, qualifier or ("$LATEST" if qualified_message else None))
            raise not_found(f"Function not found: {shown}")
        return fn

    def resolve(self, function_name: str, qualifier: str | None = None, *,
                default_latest_message: bool = False) -> tuple[Function, FunctionVersion, str | None]:
        """Find the version a name + qualifier points at: ``(function, version, qualifier)``.

        An alias resolves to its primary version (routing weights are applied at invoke time).
        """
        name, q = self.parse_name(function_name, qualifier)
        fn = self.get(name, q, qualified_message=default_latest_message)
        if q is None or q == "$LATEST":
            return fn, fn.latest, q
        if q.isdigit():
            v = fn.versions.get(q)
            if v is None:
                raise not_found(f"Function not found: {self.function_arn(name, q)}")
            return fn, v, q
        alias = fn.aliases.get(q)
        if alias is None:
            raise not_found(f"Function not found: {self.function_arn(name, q)}")
        v = fn.get_version(alias.function_version)
        assert v is not None
        return fn, v, q

    # -- validation --------------------------------------------------------------------------

    def _validate(self, params: dict[str, Any], *, creating: bool) -> None:
        validate_config(params, creating=creating, max_timeout=self.max_timeout)
        for arn in params.get("Layers") or []:
            self.layer_by_arn(arn)

    def layer_by_arn(self, arn: str) -> LayerVersion:
        m = re.match(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:layer:([a-zA-Z0-9-_]+):(\d+)$", arn)
        if m:
            for lv in self.layers.get(m.group(1), []):
                if lv.version == int(m.group(2)) and lv.arn == arn:
                    return lv
        raise invalid_parameter(f"Layer version {arn} does not exist.")

    # -- functions ---------------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.now() if self.clock is not None else _dt.datetime.now().timestamp()

    def _code(self, code: dict[str, Any]) -> CodePackage:
        if "ZipFile" in code and code["ZipFile"] is not None:
            data = code["ZipFile"]
            if isinstance(data, str):
                data = base64.b64decode(data)
            return CodePackage.from_zip(data, os.path.join(self.store, "code"))
        if code.get("S3Bucket") or code.get("ImageUri"):
            raise invalid_parameter(
                "minilambda takes code as Code={'ZipFile': bytes}; use zip_directory(folder) to build one "
                "(S3 and image sources are not supported).")
        raise invalid_parameter("Please provide a source for function code.")

    def create(self, params: dict[str, Any]) -> FunctionVersion:
        raw_name = params["FunctionName"]
        if len(raw_name) > 140:
            raise validation_error(
                f"1 validation error detected: Value '{raw_name}' at 'functionName' failed to satisfy constraint: "
                "Member must have length less than or equal to 140")
        name, q = self.parse_name(raw_name, namespaced=False)
        if q is not None:
            raise invalid_parameter("The function name you provided contains a qualifier, which is not allowed here.")
        if len(name) > 64:
            raise invalid_parameter(
                f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
                "Member must have length less than or equal to 64")
        self._validate(params, creating=True)
        if name in self.functions:
            raise conflict(f"Function already exist: {name}")
        code = self._code(params.get("Code") or {})
        config: dict[str, Any] = {
            "Runtime": params.get("Runtime"),
            "Role": params["Role"],
            "Handler": params.get("Handler"),
            "Description": params.get("Description", ""),
            "Timeout": params.get("Timeout", 3),
            "MemorySize": params.get("MemorySize", 128),
            "Architectures": params.get("Architectures") or ["x86_64"],
            "EphemeralStorage": params.get("EphemeralStorage") or {"Size": 512},
            "PackageType": "Zip",
            "TracingConfig": params.get("TracingConfig") or {"Mode": "PassThrough"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}", **(params.get("LoggingConfig") or {})},
        }
        if "Environment" in params:
            config["Environment"] = {"Variables": dict((params["Environment"] or {}).get("Variables") or {})}
        if params.get("DeadLetterConfig", {}).get("TargetArn"):
            config["DeadLetterConfig"] = dict(params["DeadLetterConfig"])
        layers = [self.layer_by_arn(a) for a in params.get("Layers") or []]
        _check_combined_size(code, layers)
        now = self._now()
        latest = FunctionVersion(name, "$LATEST", config, code, layers, str(uuid.uuid4()), now, state="Pending")
        fn = Function(name, self.function_arn(name), latest, tags=dict(params.get("Tags") or {}))
        self.functions[name] = fn
        return latest

    def update_code(self, function_name: str, params: dict[str, Any]) -> FunctionVersion:
        name, q = self.parse_name(function_name, namespaced=False)
        fn = self.get(name)
        self._check_revision(fn.latest, params.get("RevisionId"))
        code = self._code({k: params.get(k) for k in ("ZipFile", "S3Bucket", "ImageUri")})
        _check_combined_size(code, fn.latest.layers)
        fn.latest.code = code
        self._touch(fn.latest)
        return fn.latest

    def update_configuration(self, function_name: str, params: dict[str, Any]) -> FunctionVersion:
        name, q = self.parse_name(function_name, namespaced=False)
        fn = self.get(name)
        self._validate(params, creating=False)
        self._check_revision(fn.latest, params.get("RevisionId"))
        if "Layers" in params:
            _check_combined_size(fn.latest.code, [self.layer_by_arn(a) for a in params["Layers"]])
        cfg = fn.latest.config
        for key in ("Runtime", "Role", "Handler", "Description", "Timeout", "MemorySize", "EphemeralStorage",
                    "TracingConfig"):
            if key in params:
                cfg[key] = params[key]
        if "Environment" in params:  # replaces the whole map, as AWS does
            cfg["Environment"] = {"Variables": dict((params["Environment"] or {}).get("Variables") or {})}
        if "LoggingConfig" in params:
            cfg["LoggingConfig"] = {**cfg["LoggingConfig"], **params["LoggingConfig"]}
        if "DeadLetterConfig" in params:
            if params["DeadLetterConfig"].get("TargetArn"):
                cfg["DeadLetterConfig"] = dict(params["DeadLetterConfig"])
            else:
                cfg.pop("DeadLetterConfig", None)
        if "Layers" in params:
            fn.latest.layers = [self.layer_by_arn(a) for a in params["Layers"]]
        self._touch(fn.latest)
        return fn.latest

    def _touch(self, v: FunctionVersion) -> None:
        v.revision_id = str(uuid.uuid4())
        v.last_modified = self._now()

    @staticmethod
    def _check_revision(v: FunctionVersion | Alias, revision_id: str | None) -> None:
        if revision_id is not None and revision_id != v.revision_id:
            raise AwsError("PreconditionFailedException",
                           "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias "
                           "API to retrieve the latest Revision Id", 412)

    def delete(self, function_name: str, qualifier: str | None = None) -> tuple[Function, str | None]:
        name, q = self.parse_name(function_name, qualifier)
        fn = self.get(name, q)
        if q == "$LATEST":
            raise invalid_parameter("$LATEST version cannot be deleted without deleting the function.")
        if q is None:
            del self.functions[name]
            return fn, None
        if q not in fn.versions:
            raise not_found(f"Function not found: {self.function_arn(name, q)}")
        for alias in fn.aliases.values():
            if alias.function_version == q or q in alias.weights:
                raise conflict(f"Unable to delete version because the following aliases reference it: [{alias.name}]")
        del fn.versions[q]
        return fn, q

    def publish(self, function_name: str, params: dict[str, Any]) -> tuple[FunctionVersion, bool]:
        """Publish $LATEST as a new version; returns (version, created). Idempotent without changes."""
        name, _ = self.parse_name(function_name, namespaced=False)
        fn = self.get(name)
        latest = fn.latest
        if params.get("CodeSha256") and params["CodeSha256"] != latest.code.sha256:
            raise invalid_parameter(
                f"CodeSHA256 ({params['CodeSha256']}) is different from current CodeSHA256 in $LATEST "
                f"({latest.code.sha256}). Please try again with the CodeSHA256 in $LATEST.")
        self._check_revision(latest, params.get("RevisionId"))
        if fn.versions:
            last = fn.versions[str(fn.next_version - 1)] if str(fn.next_version - 1) in fn.versions else None
            if last is not None and last.code.sha256 == latest.code.sha256 and _same_config(last, latest):
                return last, False
        version = str(fn.next_version)
        fn.next_version += 1
        config = copy.deepcopy(latest.config)
        if params.get("Description"):
            config["Description"] = params["Description"]
        snap = FunctionVersion(name, version, config, latest.code, list(latest.layers), str(uuid.uuid4()),
                               self._now())
        snap.config["_source"] = copy.deepcopy(latest.config)
        fn.versions[version] = snap
        return snap, True

    # -- aliases -----------------------------------------------------------------------------

    def _check_routing(self, fn: Function, primary: str, routing: dict[str, Any] | None) -> dict[str, float]:
        weights = dict((routing or {}).get("AdditionalVersionWeights") or {})
        for k, w in weights.items():
            if not re.fullmatch(r"[0-9]+", k):
                raise validation_error(
                    f"1 validation error detected: Value '{{{k}={w}}}' at 'routingConfig.additionalVersionWeights' "
                    "failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less "
                    "than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy "
                    "regular expression pattern: [0-9]+]")
            if not 0.0 <= w <= 1.0:
                raise validation_error(
                    f"1 validation error detected: Value '{{{k}={float(w)}}}' at 'routingConfig.additionalVersionWeights' "
                    "failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less "
                    "than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]")
        if len(weights) > 1:
            raise invalid_parameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
        if fn.get_version(primary) is None:
            raise not_found(f"Function not found: {self.function_arn(fn.name, primary)}")
        for k in weights:
            if k == primary:
                raise invalid_parameter(
                    f"Invalid function version {k}. Function version {k} is already included in routing configuration.")
            if primary == "$LATEST":
                raise invalid_parameter("$LATEST is not supported for an alias pointing to more than 1 version")
            if k not in fn.versions:
                raise not_found(f"Function not found: {self.function_arn(fn.name, k)}")
        return {k: float(v) for k, v in weights.items()}

    def create_alias(self, function_name: str, params: dict[str, Any]) -> Alias:
        name, _ = self.parse_name(function_name, namespaced=False)
        primary = params["FunctionVersion"]
        fn = self.functions.get(name)
        if fn is None:
            raise not_found(f"Function not found: {self.function_arn(name, primary)}")
        alias_name = params["Name"]
        if not re.fullmatch(ALIAS_PATTERN, alias_name):
            raise validation_error(
                f"1 validation error detected: Value '{alias_name}' at 'name' failed to satisfy constraint: Member "
                f"must satisfy regular expression pattern: {ALIAS_PATTERN}")
        weights = self._check_routing(fn, primary, params.get("RoutingConfig"))
        if alias_name in fn.aliases:
            raise conflict(f"Alias already exists: {self.function_arn(name, alias_name)}")
        alias = Alias(alias_name, primary, params.get("Description", ""), weights, str(uuid.uuid4()))
        fn.aliases[alias_name] = alias
        return alias

    def get_alias(self, function_name: str, alias_name: str) -> tuple[Function, Alias]:
        name, _ = self.parse_name(function_name, namespaced=False)
        fn = self.get(name)
        alias = fn.aliases.get(alias_name)
        if alias is None:
            raise not_found(f"Cannot find alias arn: {self.function_arn(name, alias_name)}")
        return fn, alias

    def update_alias(self, function_name: str, alias_name: str, params: dict[str, Any]) -> Alias:
        fn, alias = self.get_alias(function_name, alias_name)
        self._check_revision(alias, params.get("RevisionId"))
        primary = params.get("FunctionVersion", alias.function_version)
        routing = params.get("RoutingConfig")
        weights = self._check_routing(fn, primary, routing) if routing is not None else \
            self._check_routing(fn, primary, {"AdditionalVersionWeights": alias.weights})
        alias.function_version = primary
        alias.weights = weights
        if "Description" in params:
            alias.description = params["Description"]
        alias.revision_id = str(uuid.uuid4())
        return alias

    def delete_alias(self, function_name: str, alias_name: str) -> None:
        name, _ = self.parse_name(function_name, namespaced=False)
        fn = self.get(name)
        fn.aliases.pop(alias_name, None)

    def alias_arn(self, fn: Function, alias: Alias) -> str:
        return self.function_arn(fn.name, alias.name)

    # -- layers ------------------------------------------------------------------------------

    def publish_layer(self, layer_name: str, params: dict[str, Any]) -> LayerVersion:
        content = params.get("Content") or {}
        if not content.get("ZipFile"):
            raise invalid_parameter("minilambda takes layer content as Content={'ZipFile': bytes}.")
        code = CodePackage.from_zip(content["ZipFile"], os.path.join(self.store, "code"))
        versions = self.layers.setdefault(layer_name, [])
        number = versions[-1].version + 1 if versions else 1
        layer_arn = f"arn:aws:lambda:{self.region}:{self.account_id}:layer:{layer_name}"
        lv = LayerVersion(layer_name, number, f"{layer_arn}:{number}", layer_arn, code,
                          params.get("Description", ""), list(params.get("CompatibleRuntimes") or []),
                          list(params.get("CompatibleArchitectures") or []), params.get("LicenseInfo"), self._now())
        versions.append(lv)
        return lv

    def layer_root(self, layers: list[LayerVersion]) -> str | None:
        """The merged /opt of a list of layers (later layers win), built once per combination."""
        if not layers:
            return None
        key = hashlib.sha256("|".join(l.code.sha256 for l in layers).encode()).hexdigest()[:24]
        root = os.path.join(self.store, "opt", key)
        if not os.path.isdir(root):
            tmp = root + f".tmp-{uuid.uuid4().hex[:8]}"
            for layer in layers:
                shutil.copytree(layer.code.root, tmp, dirs_exist_ok=True, symlinks=True)
            try:
                os.makedirs(os.path.dirname(root), exist_ok=True)
                os.rename(tmp, root)
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)
        return root

    # -- shapes ------------------------------------------------------------------------------

    def configuration(self, v: FunctionVersion, *, arn_qualifier: str | None = None, listing: bool = False,
                      creating: bool = False, updating: bool = False) -> dict[str, Any]:
        """AWS's ``FunctionConfiguration`` for a version (keys sorted as AWS's JSON is)."""
        cfg = v.config
        out: dict[str, Any] = {
            "Architectures": list(cfg["Architectures"]),
            "CodeSha256": v.code.sha256,
            "CodeSize": v.code.size,
            "Description": cfg.get("Description", ""),
        }
        if "DeadLetterConfig" in cfg:
            out["DeadLetterConfig"] = dict(cfg["DeadLetterConfig"])
        if "Environment" in cfg:
            out["Environment"] = {"Variables": dict(cfg["Environment"]["Variables"])}
        out["EphemeralStorage"] = dict(cfg["EphemeralStorage"])
        qualifier = arn_qualifier if arn_qualifier is not None else (None if v.version == "$LATEST" else v.version)
        out["FunctionArn"] = self.function_arn(v.name, qualifier)
        out["FunctionName"] = v.name
        out["Handler"] = cfg.get("Handler")
        out["LastModified"] = lambda_timestamp(v.last_modified)
        if not listing and not creating:
            out["LastUpdateStatus"] = "InProgress" if updating else "Successful"
            if updating:
                out["LastUpdateStatusReason"] = "The function is being created."
                out["LastUpdateStatusReasonCode"] = "Creating"
        if v.layers:
            out["Layers"] = [{"Arn": l.arn, "CodeSize": l.code.size} for l in v.layers]
        out["LoggingConfig"] = dict(cfg["LoggingConfig"])
        out["MemorySize"] = cfg["MemorySize"]
        out["PackageType"] = "Zip"
        out["RevisionId"] = v.revision_id
        out["Role"] = cfg["Role"]
        out["Runtime"] = cfg.get("Runtime")
        if not listing:
            out["RuntimeVersionConfig"] = {
                "RuntimeVersionArn": f"arn:aws:lambda:{self.region}::runtime:local-{cfg.get('Runtime')}"}
        out["SnapStart"] = {"ApplyOn": "None", "OptimizationStatus": "Off"}
        if not listing:
            if creating:
                out["State"] = "Pending"
                out["StateReason"] = "The function is being created."
                out["StateReasonCode"] = "Creating"
            else:
                out["State"] = "Active"
        out["Timeout"] = cfg["Timeout"]
        out["TracingConfig"] = dict(cfg["TracingConfig"])
        out["Version"] = v.version
        return out

    def alias_configuration(self, fn: Function, alias: Alias) -> dict[str, Any]:
        out: dict[str, Any] = {
            "AliasArn": self.alias_arn(fn, alias),
            "Description": alias.description,
            "FunctionVersion": alias.function_version,
            "Name": alias.name,
            "RevisionId": alias.revision_id,
        }
        if alias.weights:
            out["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
        return out

    def layer_configuration(self, lv: LayerVersion) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Content": {"Location": f"file://{lv.code.root}", "CodeSha256": lv.code.sha256, "CodeSize": lv.code.size},
            "LayerArn": lv.layer_arn,
            "LayerVersionArn": lv.arn,
            "Description": lv.description,
            "CreatedDate": lambda_timestamp(lv.created),
            "Version": lv.version,
        }
        if lv.compatible_runtimes:
            out["CompatibleRuntimes"] = lv.compatible_runtimes
        if lv.compatible_architectures:
            out["CompatibleArchitectures"] = lv.compatible_architectures
        if lv.license_info:
            out["LicenseInfo"] = lv.license_info
        return out


def _check_combined_size(code: CodePackage, layers: list[LayerVersion]) -> None:
    """AWS's 250 MB limit on a function's code and its layers, unzipped, together."""
    total = code.unzipped + sum(layer.code.unzipped for layer in layers)
    if total >= limits.UNZIPPED_LIMIT:
        raise invalid_parameter(f"Function code combined with layers exceeds the maximum allowed size of "
                                f"{limits.UNZIPPED_LIMIT} bytes. The actual size is {total} bytes.")


def _same_config(a: FunctionVersion, b: FunctionVersion) -> bool:
    src = a.config.get("_source")
    return src == b.config and [l.arn for l in a.layers] == [l.arn for l in b.layers]
