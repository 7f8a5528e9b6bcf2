"""The runtime folder: boto3 and its dependencies (AWS's /var/runtime), and the runtime client."""

from __future__ import annotations

import os
from typing import Any

BOOTSTRAP_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")


def build_runtime_dir(dest: str) -> str:
    """A folder holding boto3 and its dependencies (found in this interpreter), and a copy of the
    bootstrap; returns *dest*.

    Packages are symlinked, except those that live under ``/tmp`` (a virtualenv in a checkout
    under ``/tmp``, as in CI): those are hard-linked (or copied) here, so that mounting an
    environment's private ``/tmp`` over ``/tmp`` does not hide them.
    """
    import importlib.util
    import shutil

    os.makedirs(dest, exist_ok=True)
    tmp_root = os.path.realpath("/tmp")
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None and not spec.submodule_search_locations:
            continue
        if spec.submodule_search_locations:
            source = list(spec.submodule_search_locations)[0]
            link = os.path.join(dest, name)
        else:
            source = str(spec.origin)
            link = os.path.join(dest, os.path.basename(source))
        if os.path.lexists(link):
            if os.path.realpath(link) == os.path.realpath(source) or not os.path.islink(link):
                continue
            os.unlink(link)
        tmp = f"{link}.{os.getpid()}.tmp"
        if under(source, tmp_root) and not under(dest, tmp_root):
            _copy_tree(source, tmp, shutil)
        else:
            os.symlink(source, tmp)
        os.replace(tmp, link)
    target = os.path.join(dest, "bootstrap.py")
    if not os.path.exists(target):
        shutil.copy2(BOOTSTRAP_PATH, target + ".tmp")
        os.replace(target + ".tmp", target)
    return dest


def _copy_tree(source: str, dest: str, shutil: Any) -> None:
    """Hard-link *source* (a package folder or a module file) to *dest*; copy if links fail."""
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if os.path.isdir(source):
        shutil.copytree(source, dest, copy_function=link_or_copy,
                        ignore=shutil.ignore_patterns("__pycache__"))
    else:
        link_or_copy(source, dest)


def bootstrap_for(spec: EnvironmentSpec) -> str:
    """The bootstrap script to run: the runtime folder's copy when there is one."""
    if spec.runtime_dir:
        copy = os.path.join(spec.runtime_dir, "bootstrap.py")
        if os.path.exists(copy):
            return copy
    return BOOTSTRAP_PATH


def under(path: str | None, folder: str) -> bool:
    """True if *path* (resolved) is *folder* or inside it."""
    if not path:
        return False
    real = os.path.realpath(path)
    return real == folder or real.startswith(folder + os.sep)
