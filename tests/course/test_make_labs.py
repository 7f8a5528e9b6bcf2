"""scripts/make_labs.py: otter assign turns solutions/ masters into labs/ without answers, deterministically."""
from __future__ import annotations

import json

import make_labs
import nbformat
import pytest

from .conftest import make_solution_nb, notebook, raw, write


@pytest.fixture(autouse=True)
def _private_autograder_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(make_labs, "AUTOGRADER_DIR", tmp_path / "autograder")


def _lab(tmp_path, nb, name="98-selftest-lab.ipynb"):
    write(nb, tmp_path / "solutions" / name)
    assert make_labs.main(["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]) == 0
    path = tmp_path / "labs" / name
    return path, nbformat.read(path, as_version=4)


def test_solutions_and_hidden_tests_are_stripped(tmp_path, solution_nb):
    path, lab = _lab(tmp_path, solution_nb)
    text = path.read_text()
    for gone in ("memory_mb / 1024", "BEGIN SOLUTION", "gb_seconds(128, 1)", "= 512  #", "test_secret"):
        assert gone not in text, f"{gone!r} leaked into the lab"
    sources = [c.source for c in lab.cells]
    assert 'grader.check("q98_1")' in sources and 'grader.check("q98_2")' in sources
    assert "memory = ..." in sources
    tests = lab.metadata["otter"]["tests"]
    assert "A 1024 MB function running 1 s is 1 GB-s" in tests["q98_1"], "public tests travel in the metadata"
    assert any("otter.Notebook" in s for s in sources), "the lab starts with otter's grader"


def test_outputs_cleared_metadata_normalised(tmp_path, solution_nb):
    _, lab = _lab(tmp_path, solution_nb)
    for cell in lab.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert set(cell.metadata) <= {"tags", "slideshow", "editable", "deletable"}
    assert set(lab.metadata) <= {"kernelspec", "otter", "title", "language_info"}
    assert [c.id for c in lab.cells] == [f"98-selftest-lab-{i}" for i in range(len(lab.cells))]


def test_deterministic_and_check_mode(tmp_path, solution_nb, capsys):
    path, _ = _lab(tmp_path, solution_nb)
    first = path.read_bytes()
    _lab(tmp_path, solution_nb)
    assert path.read_bytes() == first, "regenerating must give byte-identical JSON"
    json.loads(first)
    args = ["--check", "--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]
    assert make_labs.main(args) == 0
    path.write_text(path.read_text().replace("memory = ...", "memory = 7"))
    assert make_labs.main(args) == 1
    assert "run `make labs`" in capsys.readouterr().out
    path.unlink()
    assert make_labs.main(args) == 1  # missing lab
    make_labs.main(args[1:])
    (tmp_path / "labs" / "97-orphan-lab.ipynb").write_bytes(first)
    assert make_labs.main(args) == 1
    assert "stale" in capsys.readouterr().out


def test_empty_solutions_is_a_no_op(tmp_path):
    (tmp_path / "solutions").mkdir()
    args = ["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]
    assert make_labs.main(args) == 0
    assert make_labs.main(["--check", *args]) == 0


def test_a_broken_master_is_an_error(tmp_path, capsys):
    nb = make_solution_nb()
    nb.cells = [c for c in nb.cells if c.source != "# END QUESTION"]
    write(nb, tmp_path / "solutions" / "98-bad-lab.ipynb")
    assert make_labs.main(["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]) == 2
    assert "otter assign failed on 98-bad-lab.ipynb" in capsys.readouterr().err
    write(notebook([raw("# ASSIGNMENT CONFIG\nnot: [valid")]), tmp_path / "solutions" / "98-bad-lab.ipynb")
    assert make_labs.main(["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]) == 2
