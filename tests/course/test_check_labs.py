"""scripts/check_labs.py: an unsolved lab must fail every check cell (runs a real kernel)."""
from __future__ import annotations

import check_labs
import make_labs
import pytest
from nbclient import NotebookClient

from .conftest import code, md, notebook, write

pytestmark = pytest.mark.slow


def test_generated_lab_fails_its_checks_and_solution_passes(tmp_path, solution_nb):
    write(solution_nb, tmp_path / "solutions" / "98-selftest-lab.ipynb")
    make_labs.main(["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")])
    problems, notes = check_labs.check_lab(tmp_path / "labs" / "98-selftest-lab.ipynb", timeout=60)
    assert problems == [] and notes == []
    # the solution itself (hidden tests included) runs clean
    NotebookClient(solution_nb, timeout=60, kernel_name="python3").execute()


def test_check_that_passes_unsolved_is_flagged(tmp_path):
    lab = write(notebook([
        md("**Exercise 1.1** set `x` to 2"),
        code("x = ...  # YOUR CODE HERE"),
        code("assert x is not None  # passes with the stub: a broken check", tags=["check"]),
        code("assert x == 2, 'x should be 2'", tags=["check"]),
    ]), tmp_path / "labs" / "01-broken-lab.ipynb")
    problems, _ = check_labs.check_lab(lab, timeout=60)
    assert len(problems) == 1 and "cell 2" in problems[0] and "PASSED" in problems[0]
    assert check_labs.main([str(lab)]) == 1


def test_lab_without_check_cells_is_flagged_and_setup_errors_noted(tmp_path):
    lab = write(notebook([code("import not_a_module_xyz"), code("y = ...")]),
                tmp_path / "labs" / "02-nocheck-lab.ipynb")
    problems, notes = check_labs.check_lab(lab, timeout=60)
    assert any("no cell tagged 'check'" in p for p in problems)
    assert any("ModuleNotFoundError" in n for n in notes)


def test_no_labs_is_a_no_op(tmp_path, monkeypatch):
    monkeypatch.setattr(check_labs, "ROOT", tmp_path)
    assert check_labs.main([]) == 0
