"""A JupyterLab server started exactly as `make lab` starts it (scripts/lab.py), on a free port,
with a private token, runtime, workspace and user-settings folders."""
from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import lab as course_lab  # noqa: E402

URL = re.compile(r"http://127\.0\.0\.1:(\d+)/")


class Lab:
    """One JupyterLab server process; ``url(path)`` gives an authenticated URL."""

    def __init__(self, tmp: Path, timeout: float = 90.0):
        self.token = secrets.token_hex(16)
        no_autosave = tmp / "settings" / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings"
        no_autosave.parent.mkdir(parents=True, exist_ok=True)
        no_autosave.write_text('{"autosave": false}')  # the checks must never write outputs into the course
        extra = [f"--LabApp.workspaces_dir={tmp / 'workspaces'}", f"--LabApp.user_settings_dir={tmp / 'settings'}",
                 "--ServerApp.shutdown_no_activity_timeout=600"]
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
               "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        cmd = course_lab.lab_command(port=0, token=self.token, open_browser=False, extra=extra)
        self.log = open(tmp / "lab.log", "w+")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port(timeout)

    def _wait_for_port(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.log.seek(0)
            if m := URL.search(self.log.read()):
                return int(m.group(1))
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.close()
        self.log.seek(0)
        raise RuntimeError(f"JupyterLab did not start:\n{self.log.read()[-2000:]}")

    def url(self, path: str, *params: str) -> str:
        query = "&".join([f"token={self.token}", *params])
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?{query}"

    def notebook_url(self, name: str) -> str:
        """*name* alone in a fresh workspace (no tab restored from an earlier test)."""
        workspace = "w" + "".join(c for c in name if c.isalnum())
        return self.url(f"lab/workspaces/{workspace}/tree/notebooks/{name}", "reset")

    def shut_down_kernels(self) -> None:
        """End every kernel session (a notebook checked is done with: its Clouds need not idle on)."""
        with urllib.request.urlopen(self.url("api/sessions"), timeout=30) as r:
            sessions = json.load(r)
        for session in sessions:
            req = urllib.request.Request(self.url(f"api/sessions/{session['id']}"), method="DELETE")
            urllib.request.urlopen(req, timeout=30).close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
