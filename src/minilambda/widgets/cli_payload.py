"""CLI payload (module 09): what AWS CLI v1 and v2 send for ``invoke --payload`` under each binary format.

AWS: https://docs.aws.amazon.com/cli/latest/userguide/cliv2-migration-changes.html#cliv2-migration-binaryparam
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass


CLI_V1_REJECTS = "Unknown options: --cli-binary-format"


@dataclass(frozen=True)
class CliOutcome:
    """What one CLI version does with a ``--payload`` under one ``--cli-binary-format``."""

    version: str
    binary_format: str
    accepted: bool
    sent: bytes  # what reaches Lambda's Invoke (empty if refused)
    message: str


def cli_payload(version: str, binary_format: str, payload: str) -> CliOutcome:
    """What AWS CLI *version* (``"v1"``/``"v2"``) sends for ``--payload payload``.

    *binary_format* is ``"(not given)"``, ``"raw-in-base64-out"`` or ``"base64"``. v1 sends the
    text as it is and has no ``--cli-binary-format`` option; v2 reads blob parameters as base64
    unless told ``raw-in-base64-out``.
    AWS: https://docs.aws.amazon.com/cli/latest/userguide/cliv2-migration-changes.html#cliv2-migration-binaryparam
    """
    if version not in ("v1", "v2") or binary_format not in ("(not given)", "raw-in-base64-out", "base64"):
        msg = f"version is 'v1' or 'v2' and binary_format '(not given)', 'raw-in-base64-out' or 'base64'; " \
              f"got {version!r}, {binary_format!r}"
        raise ValueError(msg)
    raw = payload.encode()
    if version == "v1":
        if binary_format != "(not given)":
            return CliOutcome(version, binary_format, False, b"", f"v1 stops before sending: {CLI_V1_REJECTS}")
        return CliOutcome(version, binary_format, True, raw, "v1 sends the text as it is")
    if binary_format == "raw-in-base64-out":
        return CliOutcome(version, binary_format, True, raw, "v2 sends the text as it is (told so)")
    try:
        decoded = base64.b64decode(raw, validate=True)
    except binascii.Error:
        return CliOutcome(version, binary_format, False, b"",
                          "v2 reads the payload as base64 by default and refuses it: Invalid base64")
    return CliOutcome(version, binary_format, True, decoded, "v2 decoded the base64 text and sends the bytes")


def _describe_cli(r: CliOutcome) -> str:
    flag = "" if r.binary_format == "(not given)" else f" --cli-binary-format {r.binary_format}"
    sent = repr(r.sent.decode(errors="replace")) if r.accepted else "nothing"
    return (f"<code>aws lambda invoke --function-name my-function{flag} --payload ... output.txt</code><br>"
            f"AWS CLI {r.version}: {r.message}. Lambda receives: <b>{sent}</b>")


def cli_payload_explorer(payload: str = '{"key1": "value1"}'):
    """Pick a CLI version and a binary format; see what reaches Lambda."""
    import ipywidgets as w

    from . import _shell

    controls = {
        "version": _shell.toggles(["v1", "v2"], "v1", "AWS CLI"),
        "binary_format": _shell.toggles(["(not given)", "raw-in-base64-out", "base64"], "raw-in-base64-out",
                                        "binary format"),
        "payload": w.Text(value=payload, description="--payload", continuous_update=False,
                          style=_shell.LABEL_STYLE, layout=w.Layout(width=_shell.CONTROL_WIDTH)),
    }
    return _shell.build(controls, cli_payload, None, _describe_cli,
                        layout=[["version"], ["binary_format"], ["payload"]])

