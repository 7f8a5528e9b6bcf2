"""No answer leaks from the labs we ship: no line of a solution that the student's stub does not
already show appears anywhere in the lab (cells or the tests stored in its metadata), and hidden
tests stay out of the lab."""
from __future__ import annotations

from pathlib import Path

import make_labs
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERIC = {"def handler(event, context):"}  # AWS's handler signature: given in prompts, never an answer
MASTERS = sorted((ROOT / "solutions").glob("*.ipynb"))


def _code_lines(cell) -> set[str]:
    return {ln.strip() for ln in cell.source.splitlines() if len(ln.strip()) > 12 and not ln.strip().startswith("#")}


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_the_lab_shows_no_solution_line_and_no_hidden_test(master, tmp_path, monkeypatch):
    monkeypatch.setattr(make_labs, "AUTOGRADER_DIR", tmp_path / "autograder")
    student, autograder = make_labs.otter_assign(master, tmp_path / "out")
    lab_text = (ROOT / "labs" / master.name).read_text(encoding="utf-8")
    lab = nbformat.read(ROOT / "labs" / master.name, as_version=4)
    stubs = [c for c in lab.cells if c.cell_type == "code" and "otter_answer_cell" in c.metadata.get("tags", [])]
    solved = nbformat.read(autograder, as_version=4)
    tagged = [c for c in solved.cells if "otter_assign_solution_cell" in c.metadata.get("tags", [])]
    answers = [c for c in tagged if c.cell_type == "code"]
    written = [ln.strip() for c in tagged if c.cell_type == "markdown" for ln in c.source.splitlines() if len(ln.strip()) > 12]
    assert not [ln for ln in written if ln in lab_text], "a model written answer is visible in the lab"
    assert answers and len(answers) == len(stubs), "every solution cell should have its student stub"
    leaked = []
    for cell, stub in zip(answers, stubs):
        for line in _code_lines(cell):
            given = line in stub.source or line in GENERIC  # code the exercise hands out (set-up lines around the solution)
            if not given and (line in lab_text or line.replace('"', '\\"') in lab_text):
                leaked.append(line)
    assert not leaked, f"solution lines visible in labs/{master.name}: {leaked[:5]}"
    cases = [case for test in solved.metadata["otter"]["tests"].values() for case in test.split("@test_case(")[1:]]
    hidden = [case for case in cases if case.startswith("points=None, hidden=True") or "hidden=True)" in case[:60]]
    public = "\n".join(case for case in cases if case not in hidden)
    for case in hidden:
        body = [ln.strip() for ln in case.splitlines() if ln.strip().startswith("assert") and ln.strip() not in public]
        assert not any(b in lab_text for b in body), f"a hidden test is visible in the lab: {body}"
