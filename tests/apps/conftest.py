"""The notes app deployed once per module into a wall-clock Cloud, with a helper to call its API."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest

from minilambda import Cloud
from minilambda.cloudformation import deploy

NOTES = os.path.join(os.path.dirname(__file__), "..", "..", "apps", "notes", "template.yaml")
PASSWORD = "passw0rd1"


def call(method: str, url: str, body: Any = None, token: str | None = None, *, raw: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One HTTP request over loopback; (status, parsed JSON or raw bytes)."""
    h = {"content-type": "application/json", **(headers or {})}
    if token:
        h["authorization"] = token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            status, text, kind = resp.status, resp.read(), resp.headers.get("content-type", "")
    except urllib.error.HTTPError as err:
        status, text, kind = err.code, err.read(), err.headers.get("content-type", "")
    return status, (json.loads(text) if text and kind.startswith("application/json") else text)


@dataclass
class NotesApp:
    cloud: Cloud
    outputs: dict[str, str]
    seconds: float
    site: str

    @property
    def api(self) -> str:
        return self.outputs["ApiUrl"]

    def user(self, email: str) -> str:
        """Sign up and sign in *email*; its ID token."""
        status, _ = call("POST", self.api + "/auth/signup", {"email": email, "password": PASSWORD})
        assert status == 201, status
        status, tokens = call("POST", self.api + "/auth/login", {"email": email, "password": PASSWORD})
        assert status == 200, tokens
        return tokens["idToken"]


@pytest.fixture(scope="module")
def notes_app():
    with Cloud(seed=7) as cloud:
        result = deploy(cloud.client, NOTES, stack_name="notes")
        assert result.status == "CREATE_COMPLETE", result
        site = f"{cloud.endpoint_url}/{result.site_bucket}/index.html"
        yield NotesApp(cloud, result.outputs, result.seconds, site)
