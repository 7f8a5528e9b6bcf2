"""A botocore session that reads nothing of the user's shell or ``~/.aws``.

Left to itself, botocore reads ``AWS_PROFILE``, ``AWS_CONFIG_FILE``, ``AWS_ENDPOINT_URL*``,
``AWS_CA_BUNDLE``, retry modes, FIPS/dual-stack and defaults mode from the environment and the
config file (and fails outright on a profile that does not exist). Every session the wire layer
and the Cloud's clients use comes from here, so a Cloud behaves the same whatever the shell holds.
"""

from __future__ import annotations

from typing import Any

# Each session variable gets no environment variable, no config-file key and a fixed default.
_SESSION_DEFAULTS: dict[str, Any] = {
    "profile": None, "config_file": "/nonexistent/minilambda/aws-config",
    "credentials_file": "/nonexistent/minilambda/aws-credentials", "ca_bundle": None, "retry_mode": "standard",
    "max_attempts": 1, "ignore_configured_endpoint_urls": True, "use_fips_endpoint": False,
    "use_dualstack_endpoint": False, "defaults_mode": "legacy", "api_versions": {}, "region": None,
}


def isolated_botocore_session(region: str | None = None) -> Any:
    """A ``botocore.session.Session`` that behaves the same whatever the user's shell and ``~/.aws`` hold."""
    import botocore.session

    session_vars = {name: (None, None, value, None) for name, value in _SESSION_DEFAULTS.items()}
    session_vars["region"] = (None, None, region, None)
    return botocore.session.Session(session_vars=session_vars)
