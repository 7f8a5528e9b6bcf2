#!/usr/bin/env python3
"""Generate student labs from otter-grader master notebooks: solutions/NN-topic-lab.ipynb -> labs/.

Each master notebook is run through ``otter assign`` (otter-grader, the Data 8 autograder), which
writes a *student* notebook (solutions replaced by ``...`` or a prompt, hidden tests removed, public
tests stored in the notebook's metadata, ``grader.check("q3_1")`` cells) and an *autograder*
notebook (solutions and every test, hidden ones included).  The student notebook is normalised
(no outputs, stable cell ids, deterministic JSON) and written to ``labs/``; the autograder notebook
goes to ``build/autograder/`` (not committed) for ``scripts/check_labs.py``.

``--check`` regenerates into a temporary folder and fails if ``labs/`` differs.  The format of a
master notebook is documented in ``scripts/README.md``.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
AUTOGRADER_DIR = ROOT / "build" / "autograder"
KEEP_CELL_META = ("tags", "slideshow", "editable", "deletable")
KEEP_NB_META = ("kernelspec", "otter", "title")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class AssignError(RuntimeError):
    """otter assign rejected a master notebook."""


def otter_assign(master: Path, out_dir: Path) -> tuple[Path, Path]:
    """Run ``otter assign`` on *master* (in process: ~10x faster than the CLI's start-up);
    return the (student, autograder) notebook paths."""
    from otter.assign import main as assign

    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            assign(str(master), str(out_dir), no_pdfs=True, no_run_tests=True)
    except Exception as exc:  # otter raises many kinds; the message is what the author needs
        tail = "\n".join(log.getvalue().strip().splitlines()[-5:])
        raise AssignError(f"otter assign failed on {master.name}: {type(exc).__name__}: {exc}\n{tail}") from None
    student, autograder = out_dir / "student" / master.name, out_dir / "autograder" / master.name
    if not student.exists():
        raise AssignError(f"otter assign failed on {master.name}: no student notebook was written")
    return student, autograder


def normalise(path: Path, stem: str) -> str:
    """The notebook at *path* without outputs, with stable ids and only teaching metadata."""
    nb = nbformat.read(path, as_version=4)
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{stem}-{i}"
        meta = {k: cell.metadata[k] for k in KEEP_CELL_META if k in cell.metadata}
        cell.metadata = nbformat.from_dict(meta)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.pop("attachments", None) if cell.cell_type == "code" else None
    meta = {k: nb.metadata[k] for k in KEEP_NB_META if k in nb.metadata}
    meta.setdefault("kernelspec", KERNELSPEC)
    meta["language_info"] = {"name": "python"}
    nb.metadata = nbformat.from_dict(meta)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def generate(src_dir: Path, out_dir: Path) -> list[Path]:
    """Write one lab per master notebook in *src_dir*; keep its autograder notebook in AUTOGRADER_DIR."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    masters = sorted(src_dir.glob("*.ipynb")) if src_dir.is_dir() else []
    with tempfile.TemporaryDirectory() as tmp:
        for master in masters:
            student, autograder = otter_assign(master, Path(tmp) / master.stem)
            dest = out_dir / master.name
            dest.write_text(normalise(student, master.stem), encoding="utf-8")
            written.append(dest)
            AUTOGRADER_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(autograder, AUTOGRADER_DIR / master.name)
    return written


def check(src_dir: Path, labs_dir: Path) -> list[str]:
    """Problems that make ``labs_dir`` differ from what ``src_dir`` generates."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = {p.name: p for p in generate(src_dir, Path(tmp))}
        current = {p.name: p for p in labs_dir.glob("*.ipynb")} if labs_dir.is_dir() else {}
        for name in sorted(fresh.keys() | current.keys()):
            if name not in current:
                problems.append(f"labs/{name} is missing")
            elif name not in fresh:
                problems.append(f"labs/{name} has no solutions/{name} (stale lab?)")
            elif fresh[name].read_bytes() != current[name].read_bytes():
                problems.append(f"labs/{name} differs from what solutions/{name} generates")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if labs/ is not up to date")
    ap.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    ap.add_argument("--labs", type=Path, default=ROOT / "labs")
    args = ap.parse_args(argv)
    try:
        if args.check:
            problems = check(args.solutions, args.labs)
            for p in problems:
                print(f"  - {p}")
            if problems:
                print("labs/ is out of date with solutions/: run `make labs` and commit labs/.")
                return 1
            print("labs/ is up to date with solutions/.")
            return 0
        written = generate(args.solutions, args.labs)
    except AssignError as exc:
        print(f"make_labs: {exc}", file=sys.stderr)
        return 2
    shown = [p.relative_to(ROOT) if p.is_relative_to(ROOT) else p for p in written]
    print(f"generated {len(written)} lab(s)" + "".join(f"\n  {p}" for p in shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
