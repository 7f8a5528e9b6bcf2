"""Fixtures for the course-infrastructure tests: tiny notebooks built in tmp dirs."""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))


def code(source, tags=(), **meta):
    cell = new_code_cell(source, metadata={**meta, **({"tags": list(tags)} if tags else {})})
    return cell


def md(source, **meta):
    return new_markdown_cell(source, metadata=meta)


def notebook(cells, **meta):
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}, **meta})
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    return nb


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def raw(source):
    return nbformat.v4.new_raw_cell(source)


CONFIG = ("# ASSIGNMENT CONFIG\ninit_cell: true\ncheck_all_cell: false\nexport_cell: false\n"
          "run_tests: false\ngenerate: false\ntests:\n  files: false\n  ok_format: false\n")


def question(name, prompt, answer, tests):
    """The raw-cell-delimited otter question: prompt, solution, tests."""
    return [raw(f"# BEGIN QUESTION\nname: {name}"), md(prompt), raw("# BEGIN SOLUTION"), code(answer),
            raw("# END SOLUTION"), raw("# BEGIN TESTS"), *[code(t) for t in tests], raw("# END TESTS"),
            raw("# END QUESTION")]


@pytest.fixture
def solution_nb():
    return make_solution_nb()


def make_solution_nb(answer="memory = 512  # SOLUTION", test="assert memory == 512, 'memory should be 512 MB'"):
    """An otter master notebook: one public + one hidden test, an inline and a block solution."""
    demo = code("print('hi')")
    demo.outputs = [new_output("stream", name="stdout", text="hi\n")]
    demo.execution_count = 3
    return notebook([
        raw(CONFIG),
        md("# 98 · Pipeline self-test", slideshow={"slide_type": "slide"}),
        demo,
        *question("q98_1", "**Exercise 98.1** Write `gb_seconds(memory_mb, ms)`.",
                  "def gb_seconds(memory_mb, ms):\n    # BEGIN SOLUTION\n    return memory_mb / 1024 * ms / 1000\n"
                  "    # END SOLUTION",
                  ["def test_one(gb_seconds):\n    assert gb_seconds(1024, 1000) == 1.0, 'A 1024 MB function running 1 s is 1 GB-s'\n\ntest_one(gb_seconds)",
                   "# HIDDEN\ndef test_secret(gb_seconds):\n    assert gb_seconds(128, 1) == 0.000125\n\ntest_secret(gb_seconds)"]),
        *question("q98_2", "**Exercise 98.2** Set `memory` to 512.", answer,
                  [f"def test_memory(memory):\n    {test}\n\ntest_memory(memory)"]),
    ], language_info={"name": "python", "version": "3.11.7"})
