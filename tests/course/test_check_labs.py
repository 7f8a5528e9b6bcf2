"""scripts/check_labs.py: unsolved labs fail every check; solved ones pass on a wrong/right/right-again run."""
from __future__ import annotations

import check_labs
import make_labs
import pytest

from .conftest import make_solution_nb, write

pytestmark = pytest.mark.slow


def _build(tmp_path, nb, monkeypatch):
    monkeypatch.setattr(make_labs, "AUTOGRADER_DIR", tmp_path / "autograder")
    monkeypatch.setattr(check_labs, "AUTOGRADER_DIR", tmp_path / "autograder")
    write(nb, tmp_path / "solutions" / "98-selftest-lab.ipynb")
    assert make_labs.main(["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]) == 0
    return tmp_path / "labs" / "98-selftest-lab.ipynb"


def test_good_lab_fails_unsolved_and_passes_solved_twice(tmp_path, monkeypatch):
    lab = _build(tmp_path, make_solution_nb(), monkeypatch)
    assert check_labs.main([str(lab)]) == 0
    report = check_labs.check_solved(tmp_path / "autograder" / lab.name, lab, timeout=60)
    assert report.problems == [] and report.checks == 2


def test_check_that_passes_unsolved_is_flagged(tmp_path, monkeypatch):
    lab = _build(tmp_path, make_solution_nb(test="assert memory is not None"), monkeypatch)
    report = check_labs.check_unsolved(lab, timeout=60)
    assert len(report.problems) == 1 and "PASSED on the unsolved lab" in report.problems[0]


def test_answer_that_fails_on_a_second_try_is_flagged(tmp_path, monkeypatch):
    answer = "tries = globals().get('tries', 0) + 1\nmemory = 512 if tries == 1 else 0  # SOLUTION"
    lab = _build(tmp_path, make_solution_nb(answer=answer), monkeypatch)
    report = check_labs.check_solved(tmp_path / "autograder" / lab.name, lab, timeout=60)
    assert any("second try" in p for p in report.problems), report.problems


def test_no_labs_is_a_no_op(tmp_path, monkeypatch):
    monkeypatch.setattr(check_labs, "ROOT", tmp_path)
    assert check_labs.main([]) == 0


def test_labs_checked_in_parallel_report_every_problem(tmp_path, monkeypatch, capsys):
    good = _build(tmp_path / "good", make_solution_nb(), monkeypatch)
    bad = _build(tmp_path / "bad", make_solution_nb(test="assert memory is not None"), monkeypatch)
    assert check_labs.main([str(good), str(bad), "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert "[ok] 98-selftest-lab.ipynb" in out and "[FAIL] 98-selftest-lab.ipynb" in out
    assert out.index("[ok]") < out.index("[FAIL]"), "reports come in the order the labs were given"
