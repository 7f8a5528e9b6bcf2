#!/usr/bin/env python3
"""Prove the labs grade as they should: unsolved they fail every check, solved they pass, twice.

* ``check_labs.py`` (unsolved): runs each ``labs/*.ipynb`` as a student receives it; every
  ``grader.check("…")`` cell must report a failure (an unsolved lab that passes a check means the
  check does not test the exercise), and no check cell may crash.
* ``check_labs.py --solved``: runs each autograder notebook (``build/autograder/``, written by
  ``make labs``: solutions plus hidden tests) in **one kernel**, as a student would try it: before
  each answer it runs the lab's unsolved answer cell and its check (must fail: a wrong first try),
  then the solution and its check (must pass, hidden tests included), then the solution and its
  check **once more** (a second try must pass too, without restarting the kernel).  No cell may
  raise.

Notebooks run with nbclient in a temporary folder (otter's grader reads its tests from the
notebook file), so nothing is written next to the labs.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
AUTOGRADER_DIR = ROOT / "build" / "autograder"
ANSWER_TAG, SOLUTION_TAG = "otter_answer_cell", "otter_assign_solution_cell"


@dataclass
class Report:
    """What one lab run found."""

    problems: list[str] = field(default_factory=list)
    checks: int = 0


def is_check(cell) -> bool:
    """A ``grader.check("q…")`` cell (not ``check_all``)."""
    return cell.cell_type == "code" and cell.source.lstrip().startswith("grader.check(")


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        parts += [out.get("text", ""), data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


def error_of(cell) -> str | None:
    """The exception a cell raised, as ``Name: message`` (or None)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}"[:200]
    return None


def passed(cell) -> bool:
    """Did this executed check cell report that every test passed?"""
    text = _text(cell)
    return "All test cases passed" in text or "</strong> passed!" in text


class Runner:
    """Executes cells one by one in a single kernel, in a temporary copy of the notebook's folder."""

    def __init__(self, workdir: Path, timeout: int):
        self.log = nbformat.v4.new_notebook()  # every executed cell, in order
        self.client = NotebookClient(self.log, timeout=timeout, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(workdir)}})

    def run(self, cell):
        """Run a copy of *cell*; return the executed copy."""
        copy = nbformat.v4.new_code_cell(cell.source)
        self.log.cells.append(copy)
        self.client.execute_cell(copy, len(self.log.cells) - 1)
        return copy


def _first_line(cell) -> str:
    return (cell.source.strip().splitlines() or [""])[0][:60]


def check_unsolved(lab: Path, timeout: int) -> Report:
    """Run the student lab as handed out: every check must fail, none may crash."""
    report = Report()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(lab, Path(tmp) / lab.name)
        nb = nbformat.read(lab, as_version=4)
        runner = Runner(Path(tmp), timeout)
        with runner.client.setup_kernel():
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                done = runner.run(cell)
                if not is_check(cell):
                    continue
                report.checks += 1
                if error_of(done):
                    report.problems.append(f"{lab.name} cell {i} ({_first_line(cell)}) crashed: {error_of(done)}")
                elif passed(done):
                    report.problems.append(f"{lab.name} cell {i} ({_first_line(cell)}) PASSED on the unsolved lab")
    if report.checks == 0:
        report.problems.append(f"{lab.name}: no grader.check cell (every lab needs at least one)")
    return report


def _stubs(lab: Path) -> list:
    """The lab's code answer cells, in order (what a student starts from)."""
    nb = nbformat.read(lab, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code" and ANSWER_TAG in c.metadata.get("tags", [])]


def check_solved(autograder: Path, lab: Path, timeout: int) -> Report:
    """Wrong try, right try, second right try for every question, in one kernel."""
    report = Report()
    stubs = _stubs(lab)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(autograder, Path(tmp) / autograder.name)
        nb = nbformat.read(autograder, as_version=4)
        runner = Runner(Path(tmp), timeout)
        answers: list = []  # solution cells since the last check
        n_answer = 0
        with runner.client.setup_kernel():
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                where = f"{autograder.name} cell {i} ({_first_line(cell)})"
                if SOLUTION_TAG in cell.metadata.get("tags", []):
                    answers.append(cell)
                    continue
                if not is_check(cell):
                    done = runner.run(cell)
                    if error_of(done):
                        report.problems.append(f"{where} raised {error_of(done)}")
                    continue
                report.checks += 1
                tries = [("wrong first try", stubs[n_answer:n_answer + len(answers)], False),
                         ("solution", answers, True), ("second try of the solution", answers, True)]
                n_answer += len(answers)
                for label, cells, should_pass in tries:
                    for answer in cells:
                        done = runner.run(answer)
                        if error_of(done) and should_pass:
                            report.problems.append(f"{where}: {label}: answer raised {error_of(done)}")
                    done = runner.run(cell)
                    if error_of(done):
                        report.problems.append(f"{where}: {label}: the check crashed: {error_of(done)}")
                    elif passed(done) != should_pass:
                        verdict = "passed" if passed(done) else "failed"
                        report.problems.append(f"{where}: {label}: the check {verdict}\n{_text(done)[-600:]}")
                answers = []
    if report.checks == 0:
        report.problems.append(f"{autograder.name}: no grader.check cell")
    return report


def check_one(lab: Path, autograder: Path | None, timeout: int) -> tuple[Report, str, float]:
    """Check one lab: unsolved, or solved with its *autograder* notebook; the report, what was tried, the seconds taken."""
    t0 = time.monotonic()
    if autograder is not None:
        report, what = check_solved(autograder, lab, timeout), "wrong, right, right again"
    else:
        report, what = check_unsolved(lab, timeout), "unsolved"
    return report, what, time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("labs", nargs="*", type=Path, help="lab notebooks (default: labs/*.ipynb)")
    ap.add_argument("--solved", action="store_true", help="run the autograder notebooks (make labs first)")
    ap.add_argument("--timeout", type=int, default=180, help="per-cell timeout in seconds")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="labs checked at once, each in its own kernel (default: one per CPU)")
    args = ap.parse_args(argv)
    labs = args.labs or sorted((ROOT / "labs").glob("*.ipynb"))
    if not labs:
        print("check_labs: no labs to check (labs/ is empty).")
        return 0
    if args.solved:
        missing = [lab for lab in labs if not (AUTOGRADER_DIR / lab.name).exists()]
        if missing:
            print(f"check_labs: {AUTOGRADER_DIR / missing[0].name} is missing: run `make labs` first.")
            return 2
    failed = []
    with ProcessPoolExecutor(max_workers=max(1, min(args.jobs, len(labs)))) as pool:
        futures = [pool.submit(check_one, lab, AUTOGRADER_DIR / lab.name if args.solved else None, args.timeout)
                   for lab in labs]
        for lab, future in zip(labs, futures):  # report in lab order
            report, what, seconds = future.result()
            status = "FAIL" if report.problems else "ok"
            print(f"[{status}] {lab.name}: {report.checks} checks, {what}, in {seconds:.1f}s", flush=True)
            for p in report.problems:
                print(f"    ERROR: {p}")
            failed += report.problems
    if failed:
        print(f"check_labs: {len(failed)} problem(s).")
        return 1
    goal = "pass every check, also on a second try" if args.solved else "fail every check when unsolved"
    print(f"check_labs: all {len(labs)} lab(s) {goal}, as they should.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
