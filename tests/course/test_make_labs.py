"""scripts/make_labs.py: solutions/ -> labs/ strips solutions and hidden tests, deterministically."""
from __future__ import annotations

import json

import make_labs
import nbformat
import pytest

from .conftest import code, md, notebook, write


def _lab(tmp_path, nb, name="98-selftest-lab.ipynb"):
    write(nb, tmp_path / "solutions" / name)
    assert make_labs.main(["--solutions", str(tmp_path / "solutions"),
                           "--labs", str(tmp_path / "labs")]) == 0
    path = tmp_path / "labs" / name
    return path, nbformat.read(path, as_version=4)


def test_solutions_and_hidden_tests_are_stripped(tmp_path, solution_nb):
    path, lab = _lab(tmp_path, solution_nb)
    text = path.read_text()
    for gone in ("memory_mb / 1024", "BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS",
                 "gb_seconds(128, 1)", "gb_seconds(0, 5)", "Because the first request", "= 512  #"):
        assert gone not in text, f"{gone!r} leaked into the lab"
    sources = [c.source for c in lab.cells]
    assert len(lab.cells) == len(solution_nb.cells) - 1, "the hidden-tests-only cell is dropped"
    assert ('def gb_seconds(memory_mb, ms):\n    """GB-seconds billed."""\n'
            "    # YOUR CODE HERE\n"
            "    raise NotImplementedError('Exercise 98.1: write your code here')") in sources
    assert "memory = ...  # YOUR CODE HERE" in sources
    assert any("YOUR ANSWER HERE" in s and "Exercise 98.3" in s for s in sources)
    # the visible check stays, with its friendly message
    assert any("A 1024 MB function running 1 s is 1 GB-s" in s for s in sources)


def test_outputs_cleared_metadata_normalised_checks_locked(tmp_path, solution_nb):
    _, lab = _lab(tmp_path, solution_nb)
    for cell in lab.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert set(cell.metadata) <= {"tags", "slideshow", "editable", "deletable"}
        if "check" in cell.metadata.get("tags", []):
            assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
    assert lab.cells[0].metadata["slideshow"] == {"slide_type": "slide"}
    assert "widgets" not in lab.metadata
    assert lab.metadata["kernelspec"]["name"] == "python3"
    assert [c.id for c in lab.cells] == [c.id for c in solution_nb.cells if c.id != "c5"]


def test_deterministic_and_check_mode(tmp_path, solution_nb, capsys):
    path, _ = _lab(tmp_path, solution_nb)
    first = path.read_bytes()
    _lab(tmp_path, solution_nb)
    assert path.read_bytes() == first, "regenerating must give byte-identical JSON"
    json.loads(first)  # valid JSON, with a trailing newline
    assert first.endswith(b"}\n")
    args = ["--check", "--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]
    assert make_labs.main(args) == 0
    path.write_text(path.read_text().replace("YOUR CODE HERE", "my edit"))
    assert make_labs.main(args) == 1
    assert "run `make labs`" in capsys.readouterr().out
    path.unlink()
    assert make_labs.main(args) == 1  # missing lab
    make_labs.main(args[1:])  # regenerate
    (tmp_path / "labs" / "97-orphan-lab.ipynb").write_bytes(first)
    assert make_labs.main(args) == 1  # lab without a solution
    assert "stale" in capsys.readouterr().out


def test_empty_or_missing_solutions_is_a_no_op(tmp_path):
    (tmp_path / "solutions").mkdir()
    args = ["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]
    assert make_labs.main(args) == 0
    assert make_labs.main(["--check", *args]) == 0
    assert list((tmp_path / "labs").glob("*.ipynb")) == []
    assert make_labs.main(["--check", "--solutions", str(tmp_path / "nope"),
                           "--labs", str(tmp_path / "nope2")]) == 0


def test_several_notebooks(tmp_path, solution_nb):
    for name in ("03-a-lab.ipynb", "04-b-lab.ipynb", "05-c-lab.ipynb"):
        write(solution_nb, tmp_path / "solutions" / name)
    assert make_labs.main(["--solutions", str(tmp_path / "solutions"),
                           "--labs", str(tmp_path / "labs")]) == 0
    assert sorted(p.name for p in (tmp_path / "labs").glob("*.ipynb")) == [
        "03-a-lab.ipynb", "04-b-lab.ipynb", "05-c-lab.ipynb"]


@pytest.mark.parametrize("source", [
    "### BEGIN SOLUTION\nx = 1",
    "x = 1\n### END SOLUTION",
    "### BEGIN HIDDEN TESTS\nassert True",
])
def test_unbalanced_markers_are_an_error(tmp_path, source):
    write(notebook([code(source)]), tmp_path / "solutions" / "98-bad-lab.ipynb")
    assert make_labs.main(["--solutions", str(tmp_path / "solutions"),
                           "--labs", str(tmp_path / "labs")]) == 2


def test_explicit_stub_message_and_markdown_comment_markers(tmp_path):
    nb = notebook([
        code("### BEGIN SOLUTION Exercise 4.2: count the cold starts\nn = 3\n### END SOLUTION"),
        md("Answer:\n<!-- BEGIN SOLUTION -->\nsecret\n<!-- END SOLUTION -->"),
    ])
    _, lab = _lab(tmp_path, nb)
    assert lab.cells[0].source == ("# YOUR CODE HERE\n"
                                   "raise NotImplementedError('Exercise 4.2: count the cold starts')")
    assert lab.cells[1].source == "Answer:\nYOUR ANSWER HERE"
