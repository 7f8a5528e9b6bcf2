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


@pytest.fixture
def solution_nb():
    return make_solution_nb()


def make_solution_nb():
    """A solution notebook using every marker make_labs understands."""
    demo = code("print('hi')")
    demo.outputs = [new_output("stream", name="stdout", text="hi\n")]
    demo.execution_count = 3
    return notebook([
        md("# 98 · Pipeline self-test", slideshow={"slide_type": "slide"}),
        demo,
        md("**Exercise 98.1** Write `gb_seconds(memory_mb, ms)`."),
        code("def gb_seconds(memory_mb, ms):\n"
             "    \"\"\"GB-seconds billed.\"\"\"\n"
             "    ### BEGIN SOLUTION\n"
             "    return memory_mb / 1024 * ms / 1000\n"
             "    ### END SOLUTION", tags=["exercise"]),
        code("assert gb_seconds(1024, 1000) == 1.0, 'A 1024 MB function running 1 s is 1 GB-s'\n"
             "### BEGIN HIDDEN TESTS\n"
             "assert gb_seconds(128, 1) == 0.000125\n"
             "### END HIDDEN TESTS\n"
             "print('✅ Check 98.1 passed')", tags=["check"]),
        code("### BEGIN HIDDEN TESTS\nassert gb_seconds(0, 5) == 0\n### END HIDDEN TESTS"),
        md("**Exercise 98.2** Set `memory` to 512.\n"),
        code("memory = 512  # SOLUTION\n"),
        code("assert memory == 512, 'memory should be 512 MB'\nprint('✅ Check 98.2 passed')",
             tags=["check"]),
        md("**Exercise 98.3** Why do cold starts matter?\n\n"
           "### BEGIN SOLUTION\nBecause the first request waits for init.\n### END SOLUTION"),
    ], widgets={"application/vnd.jupyter.widget-state+json": {"state": {}}},
        language_info={"name": "python", "version": "3.11.7"})
