#!/usr/bin/env python3
"""Start JupyterLab on the course, the one way both `make lab` and the browser checks use.

It opens notebooks/00-index.ipynb, binds 127.0.0.1, and reads its settings overrides from
scripts/lab-settings/ (no "official Jupyter news" pop-up, no update check: a course, not a
JupyterLab installation).  ``--port 0`` picks a free port; the URL is printed by JupyterLab.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "scripts" / "lab-settings"
INDEX = "notebooks/00-index.ipynb"


def lab_command(port: int = 8888, token: str | None = None, open_browser: bool = True,
                extra: list[str] | None = None) -> list[str]:
    """The ``jupyter lab`` command line for the course."""
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [str(jupyter) if jupyter.exists() else "jupyter", "lab", INDEX, "--ip=127.0.0.1", f"--port={port}",
           f"--LabApp.app_settings_dir={SETTINGS}", f"--ServerApp.root_dir={ROOT}"]
    if token is not None:
        cmd.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd + list(extra or [])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8888, help="0 picks a free port")
    ap.add_argument("--no-browser", action="store_true")
    args, extra = ap.parse_known_args(argv)
    cmd = lab_command(args.port, open_browser=not args.no_browser, extra=extra)
    os.chdir(ROOT)
    os.execv(cmd[0], cmd) if os.path.isabs(cmd[0]) else os.execvp(cmd[0], cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
