"""Reading templates: YAML/JSON (CloudFormation's short tags), cfn-lint findings as AWS
``ValidationError``s, the SAM transform (aws-sam-translator), and packaging local code folders.

cfn-lint's decoder reads the YAML (it knows ``!Ref``, ``!GetAtt A.B``, ``!Sub`` …), cfn-lint
checks the template against AWS's resource schemas, and aws-sam-translator expands
``AWS::Serverless::*`` exactly as CloudFormation's ``AWS::Serverless-2016-10-31`` transform does.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import zipfile
from functools import lru_cache
from typing import Any, Callable

from .intrinsics import template_error

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
MAX_BODY_BYTES = 51_200  # TemplateBody limit on AWS (a TemplateURL allows 1 MB)
# Rules whose findings are advice for AWS accounts (e.g. "this runtime is deprecated"), not errors.
IGNORED_RULES = {"E0000"}


def _plain(value: Any) -> Any:
    """cfn-lint's node types → plain dicts, lists and strings (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value


def load(body: str) -> dict[str, Any]:
    """Parse a template body (JSON or YAML with short tags) into plain data."""
    from cfnlint.decode import decode_str

    template, matches = decode_str(body)
    if matches or template is None:
        detail = matches[0].message if matches else "not a template"
        raise template_error(f"Template format error: YAML not well-formed. {detail}")
    template = _plain(template)
    if not isinstance(template, dict):
        raise template_error("Template format error: JSON not well-formed.")
    if not isinstance(template.get("Resources"), dict) or not template["Resources"]:
        raise template_error("Template format error: At least one Resources member must be defined.")
    return template


def dump(template: dict[str, Any]) -> str:
    """A template as JSON text (what ``GetTemplate`` returns for a processed template)."""
    return json.dumps(template, indent=2)


def lint(body: str, region: str) -> list[str]:
    """cfn-lint's error-level findings, one line each (``E3002 … (line 7)``)."""
    return list(_lint(body, region))


@lru_cache(maxsize=64)
def _lint(body: str, region: str) -> tuple[str, ...]:
    """cfn-lint of one template text (a pure function of its arguments, so cached like the price
    catalogue: a template deployed to several Clouds is linted once per process)."""
    from cfnlint.api import ManualArgs, lint as cfn_lint

    findings = cfn_lint(body, config=ManualArgs(regions=[region]))
    out = []
    for m in findings:
        rule_id = getattr(m.rule, "id", "")
        if not rule_id.startswith("E") or rule_id in IGNORED_RULES:
            continue
        where = "/".join(str(p) for p in getattr(m, "path", []) or [])
        out.append(f"{rule_id} {m.message} ({where}, line {m.linenumber})")
    return tuple(out)


def check(body: str, region: str) -> None:
    """Raise AWS's ``ValidationError`` naming the first cfn-lint errors, if any."""
    errors = lint(body, region)
    if errors:
        shown = "; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
        raise template_error(f"Template format error: {shown}")


def transforms(template: dict[str, Any]) -> list[str]:
    t = template.get("Transform") or []
    return [t] if isinstance(t, str) else list(t)


def expand(template: dict[str, Any], parameters: dict[str, Any], region: str) -> dict[str, Any]:
    """Apply the template's transforms (only ``AWS::Serverless-2016-10-31`` exists locally)."""
    names = transforms(template)
    if not names:
        return template
    unknown = [n for n in names if n != SAM_TRANSFORM]
    if unknown:
        raise template_error(f"Template format error: minilambda supports only the {SAM_TRANSFORM} transform, "
                             f"not {', '.join(unknown)} (macros and AWS::Include are not simulated)")
    return sam_transform(template, parameters, region)


class _OfflinePolicyLoader:
    """SAM's managed-policy loader without IAM: names not in SAM's bundled list are refused."""

    def load(self) -> dict[str, str]:
        return {}


def sam_transform(template: dict[str, Any], parameters: dict[str, Any], region: str) -> dict[str, Any]:
    """Expand ``AWS::Serverless::*`` with aws-sam-translator (AWS's own implementation)."""
    import copy

    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    import logging

    os.environ.setdefault("AWS_DEFAULT_REGION", region)  # the translator needs a region to exist
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # no "unpublished metrics" notes
    try:
        return transform(copy.deepcopy(template), dict(parameters), _OfflinePolicyLoader())
    except InvalidDocumentException as exc:
        causes = " ".join(str(getattr(e, "message", e)) for e in exc.causes)
        raise template_error(f"Transform {SAM_TRANSFORM} failed with: {exc.message} {causes}".strip()) from None
    except Exception as exc:  # the translator's other errors are user errors too
        raise template_error(f"Transform {SAM_TRANSFORM} failed with: {exc}") from None


# -- packaging (what `sam package` / `aws cloudformation package` do) -----------------------

_LOCAL_CODE = {  # resource type -> property holding a code location
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Lambda::Function": "Code",
    "AWS::Lambda::LayerVersion": "Content",
    "AWS::Serverless::Api": "DefinitionUri",
}


def zip_folder(path: str) -> bytes:
    """A deployment package of *path* (a folder, or a single file placed at the zip's root).

    A ``requirements.txt`` in the folder is honoured as ``sam build`` would, but offline: each
    listed distribution is copied from this Python's installed packages (stored uncompressed).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if os.path.isfile(path):
            zf.write(path, os.path.basename(path))
            return buf.getvalue()
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                full = os.path.join(root, name)
                zf.write(full, os.path.relpath(full, path))
        requirements = os.path.join(path, "requirements.txt")
        if os.path.isfile(requirements):
            _vendor(zf, requirements)
    return buf.getvalue()


def _vendor(zf: zipfile.ZipFile, requirements: str) -> None:
    """Add the installed files of each requirement (names only; versions are this machine's)."""
    import importlib.metadata as metadata
    import re

    with open(requirements, encoding="utf-8") as f:
        names = [re.split(r"[\s<>=!~;\[]", line.strip(), maxsplit=1)[0] for line in f
                 if line.strip() and not line.lstrip().startswith(("#", "-"))]
    for name in names:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise template_error(f"{requirements} lists {name}, which is not installed in this Python: "
                                 f"pip install {name} (minilambda packages requirements from your environment, "
                                 "offline)") from None
        for entry in dist.files or []:
            rel = str(entry)
            if "__pycache__" in rel or rel.startswith(".."):
                continue
            full = str(dist.locate_file(entry))
            if os.path.isfile(full):
                zf.write(full, rel, compress_type=zipfile.ZIP_STORED)


def package(template: dict[str, Any], base_dir: str, upload: Callable[[bytes, str], tuple[str, str]]) -> int:
    """Replace local code paths by S3 locations, uploading each zip with ``upload(data, key_hint)``.

    Returns how many folders were packaged. Locally only: on AWS, ``sam deploy`` does the same
    with your account's bucket. The template is changed in place.
    """
    count = 0
    globals_fn = ((template.get("Globals") or {}).get("Function") or {})
    for logical, res in (template.get("Resources") or {}).items():
        prop = _LOCAL_CODE.get(res.get("Type", ""))
        if prop is None:
            continue
        props = res.setdefault("Properties", {})
        value = props.get(prop)
        if value is None and prop == "CodeUri" and "InlineCode" not in props:
            value = globals_fn.get("CodeUri")
        if not isinstance(value, str) or value.startswith("s3://"):
            continue
        path = os.path.normpath(os.path.join(base_dir, value))
        if not os.path.exists(path):
            raise template_error(f"Resource {logical}: {prop} {value!r} is neither an s3:// URI nor a local "
                                 f"path (looked for {path})")
        bucket, key = upload(zip_folder(path), f"{logical}.zip")
        if res["Type"].startswith("AWS::Serverless::"):
            props[prop] = f"s3://{bucket}/{key}"
        else:
            props[prop] = {"S3Bucket": bucket, "S3Key": key}
        count += 1
    return count
