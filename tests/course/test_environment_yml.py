"""environment.yml must mirror pyproject.toml (the single source of dependency pins)."""
from __future__ import annotations

import re
import tomllib

from .conftest import ROOT


def _norm(req: str) -> tuple[str, str]:
    """('name', 'sorted,specifiers') with PEP 503 name normalisation."""
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*", req)
    assert m, f"cannot parse requirement {req!r}"
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, ",".join(sorted(s.replace(" ", "") for s in m.group(3).split(",") if s.strip()))


def _environment_yml() -> tuple[list[str], list[str]]:
    """Tiny parser (no PyYAML needed): conda dependencies and the pip sub-list."""
    conda, pip, in_deps, pip_indent = [], [], False, None
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_deps = line.startswith("dependencies:")
            continue
        if not in_deps or not line.lstrip().startswith("- "):
            continue
        item = line.lstrip()[2:].strip()
        if pip_indent is not None and indent > pip_indent:
            pip.append(item)
        elif item == "pip:":
            pip_indent = indent
        else:
            pip_indent = None
            conda.append(item)
    return conda, pip


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_pip_section_mirrors_pyproject():
    project = _pyproject()
    wanted = list(project["dependencies"])
    for extra in ("course", "test"):
        wanted += project["optional-dependencies"][extra]
    _, pip = _environment_yml()
    listed = [p for p in pip if not p.startswith("-")]
    assert sorted(map(_norm, listed)) == sorted(map(_norm, wanted)), (
        "environment.yml's pip section has drifted from pyproject.toml "
        "([project] dependencies + extras course and test): copy the ranges over")
    assert "-e ." in pip, "environment.yml must install the course package itself"


def test_python_version_satisfies_requires_python():
    conda, _ = _environment_yml()
    (py,) = [c for c in conda if c.startswith("python")]
    major, minor = map(int, re.search(r"(\d+)\.(\d+)", py).groups())
    low = re.search(r">=\s*(\d+)\.(\d+)", _pyproject()["requires-python"])
    assert (major, minor) >= tuple(map(int, low.groups())), "environment.yml's python is too old"
    assert "pip" in conda


def test_parser_sees_every_entry():
    conda, pip = _environment_yml()
    assert {"pip", "python=3.11"} <= set(conda) and len(pip) >= 10
