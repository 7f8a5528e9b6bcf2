#!/usr/bin/env python3
"""Run each generated lab unsolved and require that every check cell (tag `check`) raises.

An unsolved lab whose check passes is a broken test: the check does not test the exercise.
Labs are executed with nbclient, `allow_errors=True`, in their own folder.  A lab without any
check cell is an error too.  Errors in other cells are reported as notes only (a demo cell that
uses an unsolved exercise's result is expected to fail as well).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
STUB_MARKS = ("# YOUR CODE HERE", "YOUR ANSWER HERE", "NotImplementedError")


def _error(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}"[:160]
    return None


def check_lab(path: Path, timeout: int = 120, kernel: str = "python3") -> tuple[list[str], list[str]]:
    """Execute one lab; return (problems, notes)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    problems, notes, checks = [], [], 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        err = _error(cell)
        first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
        if "check" in cell.metadata.get("tags", []):
            checks += 1
            if err is None:
                problems.append(f"{path.name} cell {i} ({first!r}): check cell PASSED on the unsolved lab")
        elif err and not any(m in cell.source for m in STUB_MARKS) \
                and "raises-exception" not in cell.metadata.get("tags", []):
            notes.append(f"{path.name} cell {i} ({first!r}) raised {err}")
    if checks == 0:
        problems.append(f"{path.name}: no cell tagged 'check' (every lab needs at least one check cell)")
    return problems, notes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("labs", nargs="*", type=Path, help="lab notebooks (default: labs/*.ipynb)")
    ap.add_argument("--timeout", type=int, default=120, help="per-cell timeout in seconds")
    args = ap.parse_args(argv)
    labs = args.labs or sorted((ROOT / "labs").glob("*.ipynb"))
    if not labs:
        print("check_labs: no labs to check (labs/ is empty).")
        return 0
    failed = []
    for lab in labs:
        t0 = time.monotonic()
        problems, notes = check_lab(lab, timeout=args.timeout)
        status = "FAIL" if problems else "ok"
        print(f"[{status}] {lab.name}: unsolved run in {time.monotonic() - t0:.1f}s")
        for n in notes:
            print(f"    note: {n}")
        for p in problems:
            print(f"    ERROR: {p}")
        failed += problems
    if failed:
        print(f"check_labs: {len(failed)} problem(s): an unsolved lab must fail every check cell.")
        return 1
    print(f"check_labs: all {len(labs)} lab(s) fail their checks when unsolved, as they should.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
