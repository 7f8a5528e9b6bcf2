"""Deploying the notes app (apps/notes/template.yaml) to fresh Clouds: seconds side by side.

Prints: first deploy in a new process (imports of cfn-lint, aws-sam-translator and moto
included), a second deploy to another fresh Cloud (warm process), the same without cfn-lint,
and delete_stack. Not a test: numbers depend on the machine and its load.

    python benchmarks/bench_deploy.py
"""

from __future__ import annotations

import os
import time

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "apps", "notes", "template.yaml")


def one(lint: bool) -> tuple[float, float]:
    """(deploy seconds, delete seconds) into a fresh virtual-clock Cloud."""
    from minilambda import Cloud
    from minilambda.cloudformation import deploy

    with Cloud(clock="virtual", seed=1) as cloud:
        cloud.cloudformation.lint_templates = lint
        start = time.perf_counter()
        result = deploy(cloud.client, TEMPLATE, stack_name="notes")
        deployed = time.perf_counter() - start
        assert result.status == "CREATE_COMPLETE", result
        s3 = cloud.client("s3")
        bucket = result.outputs["WebBucketName"]
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        start = time.perf_counter()
        cloud.client("cloudformation").delete_stack(StackName="notes")
        return deployed, time.perf_counter() - start


def main() -> None:
    start = time.perf_counter()
    import minilambda  # noqa: F401

    rows = [("import minilambda", time.perf_counter() - start, None)]
    for label, lint in (("deploy, first in process", True), ("deploy, warm (lint cached)", True),
                        ("deploy, warm, no cfn-lint", False)):
        deployed, deleted = one(lint)
        rows.append((label, deployed, deleted))
    print(f"{'notes app (38 resources)':<32}{'deploy s':>10}{'delete s':>10}")
    for label, deployed, deleted in rows:
        print(f"{label:<32}{deployed:>10.2f}{'' if deleted is None else f'{deleted:10.2f}':>10}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
