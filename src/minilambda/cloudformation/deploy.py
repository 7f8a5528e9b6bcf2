"""Deploying a template file as ``sam deploy`` does: package local code folders into S3, then
create or update the stack through a change set, showing progress and the outputs.

It uses only botocore clients (``clients("s3")``, ``clients("cloudformation")``), so it works
the same in-process (``cloud.client``) and against ``python -m minilambda serve``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import yaml

from . import template as tpl

PACKAGE_BUCKET = "minilambda-sam-packages-{account}-{region}"  # like sam's managed bucket


@dataclass(frozen=True)
class DeployResult:
    """What a deployment ended with."""

    stack_name: str
    status: str
    outputs: dict[str, str] = field(default_factory=dict)
    changed: bool = True
    seconds: float = 0.0
    site_bucket: str | None = None  # where the template's static client was published


def package_template(clients: Callable[[str], Any], path: str, *, account: str = "123456789012",
                     region: str = "us-east-1") -> str:
    """The template's text with every local ``CodeUri``/``Code``/``ContentUri`` uploaded to S3."""
    with open(path, encoding="utf-8") as f:
        body = f.read()
    template = tpl.load(body)
    s3 = clients("s3")
    bucket = PACKAGE_BUCKET.format(account=account, region=region)

    def upload(data: bytes, hint: str) -> tuple[str, str]:
        import hashlib

        key = f"{hashlib.md5(data).hexdigest()}-{hint}"  # noqa: S324 - a content address, as sam uses
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception:  # noqa: BLE001 - missing bucket: create it
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        return bucket, key

    if tpl.package(template, os.path.dirname(os.path.abspath(path)), upload) == 0:
        return body
    return yaml.safe_dump(template, sort_keys=False)


def _exists(cfn: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return False
        raise
    return bool(stacks) and stacks[0]["StackStatus"] != "REVIEW_IN_PROGRESS"


class _Progress:
    """Stack events as they happen, with a tqdm bar over the resources: printed to *out* (a terminal),
    or, when *out* is None, a notebook bar (``tqdm.auto``) whose label names the latest resource."""

    def __init__(self, cfn: Any, stack: str, total: int, out: Any) -> None:
        self.cfn, self.stack, self.out = cfn, stack, out
        self.seen: set[str] = set()
        self.stop = threading.Event()
        if out is None:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm

        self.bar = tqdm(total=total, unit="resource", file=out, leave=True, dynamic_ncols=True,
                        desc=f"deploying {stack}")
        self.thread = threading.Thread(target=self._poll, daemon=True, name="minilambda-deploy-progress")

    def __enter__(self) -> "_Progress":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()
        self._once()
        self.bar.close()

    def _poll(self) -> None:
        while not self.stop.wait(0.05):
            self._once()

    def _once(self) -> None:
        try:
            events = self.cfn.describe_stack_events(StackName=self.stack)["StackEvents"]
        except Exception:  # noqa: BLE001 - the stack may not be visible yet
            return
        for e in reversed(events):
            if e["EventId"] in self.seen:
                continue
            self.seen.add(e["EventId"])
            status = e["ResourceStatus"]
            reason = e.get("ResourceStatusReason", "")
            if self.out is not None:
                self.bar.write(f"{status:<40} {e['ResourceType']:<36} {e['LogicalResourceId']}"
                               f"{'  ' + reason if reason else ''}", file=self.out)
            else:
                self.bar.set_postfix_str(f"{e['LogicalResourceId']} {status}", refresh=False)
            if e["ResourceType"] != "AWS::CloudFormation::Stack" and status.endswith("_COMPLETE"):
                self.bar.update(1)


def deploy(clients: Callable[[str], Any], path: str, *, stack_name: str,
           parameters: dict[str, str] | None = None,
           capabilities: tuple[str, ...] = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"),
           account: str = "123456789012", region: str = "us-east-1", progress: Any = None) -> DeployResult:
    """Package and deploy *path*. *progress*: a text stream to print events and a bar to (the CLI),
    True for a notebook progress bar (``tqdm.auto``), None for quiet."""
    start = time.perf_counter()
    cfn = clients("cloudformation")
    body = package_template(clients, path, account=account, region=region)
    kind = "UPDATE" if _exists(cfn, stack_name) else "CREATE"
    name = f"minilambda-deploy-{int(time.time() * 1000)}"
    cs = cfn.create_change_set(StackName=stack_name, ChangeSetName=name, TemplateBody=body, ChangeSetType=kind,
                               Capabilities=list(capabilities),
                               Parameters=[{"ParameterKey": k, "ParameterValue": v}
                                           for k, v in (parameters or {}).items()])
    described = cfn.describe_change_set(ChangeSetName=cs["Id"])
    if described["Status"] == "FAILED":
        if "didn't contain changes" in described.get("StatusReason", ""):
            outputs = _outputs(cfn, stack_name)
            return DeployResult(stack_name, "UNCHANGED", outputs, False, time.perf_counter() - start,
                                publish_site(clients, path, outputs))
        raise RuntimeError(f"Failed to create the changeset: Status: FAILED. Reason: {described['StatusReason']}")
    total = len(described["Changes"])
    if progress is not None and progress is not False:
        with _Progress(cfn, stack_name, total, None if progress is True else progress):
            cfn.execute_change_set(ChangeSetName=cs["Id"])
    else:
        cfn.execute_change_set(ChangeSetName=cs["Id"])
    status = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    outputs = _outputs(cfn, stack_name)
    site = None
    if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        site = publish_site(clients, path, outputs)
    return DeployResult(stack_name, status, outputs, True, time.perf_counter() - start, site)


def publish_site(clients: Callable[[str], Any], path: str, outputs: dict[str, str]) -> str | None:
    """Upload the template's static client (``Metadata.minilambda.StaticSite``) and a
    ``config.json`` holding the stack's outputs; the bucket's name (None without a site).

    On AWS the same is ``aws s3 sync <Folder> s3://<bucket>`` plus writing config.json.
    """
    import mimetypes

    with open(path, encoding="utf-8") as f:
        site = ((tpl.load(f.read()).get("Metadata") or {}).get("minilambda") or {}).get("StaticSite")
    if not site:
        return None
    bucket = outputs.get(site.get("BucketOutput", ""))
    folder = os.path.join(os.path.dirname(os.path.abspath(path)), site.get("Folder", ""))
    if not bucket or not os.path.isdir(folder):
        raise RuntimeError(f"StaticSite needs an output {site.get('BucketOutput')!r} and a folder {folder!r}")
    s3 = clients("s3")
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            full = os.path.join(root, name)
            key = os.path.relpath(full, folder).replace(os.sep, "/")
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            with open(full, "rb") as body:
                s3.put_object(Bucket=bucket, Key=key, Body=body.read(), ContentType=kind)
    s3.put_object(Bucket=bucket, Key="config.json", Body=json.dumps(outputs, indent=2).encode(),
                  ContentType="application/json")
    return bucket


def _outputs(cfn: Any, stack_name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def local_urls(clients: Callable[[str], Any], stack_name: str) -> dict[str, str]:
    """The working local URL of each API in the stack (logical id → URL)."""
    cfn = clients("cloudformation")
    out = {}
    for res in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]:
        try:
            if res["ResourceType"] == "AWS::ApiGatewayV2::Api":
                out[res["LogicalResourceId"]] = clients("apigatewayv2").get_api(
                    ApiId=res["PhysicalResourceId"])["ApiEndpoint"]
        except Exception:  # noqa: BLE001 - the Cloud may not offer API Gateway
            continue
    return out
