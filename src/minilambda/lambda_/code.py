"""Deployment packages: zipping a folder or a dict of files, and checking and extracting a zip."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import stat
import uuid
import zipfile
from dataclasses import dataclass

from ..errors import invalid_parameter, too_large
from ..model.limits import UNZIPPED_LIMIT, ZIPPED_LIMIT


def zip_directory(path: str | os.PathLike[str]) -> bytes:
    """Zip a folder into a deployment package (bytes for ``Code={"ZipFile": ...}``).

    Files keep their permission bits (so a custom runtime's ``bootstrap`` stays executable) and
    symbolic links stay links (layers' ``libfoo.so -> libfoo.so.1``);
    entries are sorted and time-stamped identically, so the same folder gives the same
    ``CodeSha256`` every time.
    """
    root = os.fspath(path)
    if not os.path.isdir(root):
        msg = f"zip_directory: {root!r} is not a folder; pass the folder holding your handler file"
        raise FileNotFoundError(msg)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for dirpath, dirnames, filenames in os.walk(root):
            links = sorted(d for d in dirnames if os.path.islink(os.path.join(dirpath, d)))
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and d not in links)
            for name in sorted(filenames + links):
                if name.endswith(".pyc"):
                    continue
                full = os.path.join(dirpath, name)
                arc = os.path.relpath(full, root).replace(os.sep, "/")
                info = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
                if os.path.islink(full):  # kept as a link, as `zip --symlinks` and AWS keep it
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    zf.writestr(info, os.readlink(full))
                    continue
                info.external_attr = (os.stat(full).st_mode & 0o777 | stat.S_IFREG) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as fh:
                    zf.writestr(info, fh.read())
    return buf.getvalue()


def zip_files(files: dict[str, str | bytes]) -> bytes:
    """Zip a mapping of ``{"app.py": "source"}`` into a deployment package."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            executable = name.split("/")[-1] == "bootstrap" or name.startswith("extensions/")
            mode = 0o755 if executable else 0o644
            info.external_attr = (mode | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = files[name]
            zf.writestr(info, data.encode() if isinstance(data, str) else data)
    return buf.getvalue()


@dataclass
class CodePackage:
    """A deployment package: the zip, its hash, and where it is extracted."""

    zip_bytes: bytes
    sha256: str  # base64, as CodeSha256
    size: int
    root: str  # the extracted folder (LAMBDA_TASK_ROOT)
    unzipped: int = 0  # bytes once extracted (AWS's 250 MB limit counts code and layers together)

    @classmethod
    def from_zip(cls, data: bytes, store: str) -> "CodePackage":
        """Check and extract a zip into *store* (one folder per content hash)."""
        if len(data) >= ZIPPED_LIMIT:
            raise too_large(f"Zipped size must be smaller than {ZIPPED_LIMIT} bytes")
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, ValueError, EOFError):
            if not data:
                raise invalid_parameter("Uploaded file must be a non-empty zip") from None
            raise invalid_parameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
        if not infos:
            raise invalid_parameter("Uploaded file must be a non-empty zip")
        unzipped = sum(i.file_size for i in infos)
        if unzipped >= UNZIPPED_LIMIT:
            raise invalid_parameter(f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")
        for info in infos:
            _check_entry(info.filename)
        digest = hashlib.sha256(data).digest()
        root = os.path.join(store, digest.hex()[:32])
        if not os.path.isdir(root):
            _extract(zf, infos, root)
        return cls(data, base64.b64encode(digest).decode(), len(data), root, unzipped)


def _check_entry(name: str) -> None:
    """Refuse an entry that would be extracted outside the function's folder (zip slip)."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
        # Simplification: AWS's exact wording for this case is not recorded; this is its
        # message for unusable archives, plus the entry that made it unusable.
        raise invalid_parameter(
            "Could not unzip uploaded file. Please check your file, then try to upload again. "
            f"(Entry {name!r} would be extracted outside the function's folder.)")


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _extract(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], root: str) -> None:
    """Extract into *root* atomically; symlinks stay symlinks (layers' shared libraries rely on them),
    made last so that no file is ever written through one."""
    tmp = root + f".tmp-{uuid.uuid4().hex[:8]}"
    os.makedirs(tmp)
    for info in infos:
        target = os.path.join(tmp, info.filename)
        if info.is_dir():
            os.makedirs(target, exist_ok=True)
        elif not _is_symlink(info):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            mode = (info.external_attr >> 16) & 0o777
            os.chmod(target, mode if mode else 0o644)
    for info in infos:
        if _is_symlink(info):
            target = os.path.join(tmp, info.filename.rstrip("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.lexists(target):
                os.symlink(zf.read(info).decode("utf-8", "surrogateescape"), target)
    try:
        os.rename(tmp, root)
    except OSError:  # another thread extracted the same package first
        shutil.rmtree(tmp, ignore_errors=True)
