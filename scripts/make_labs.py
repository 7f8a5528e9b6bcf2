#!/usr/bin/env python3
"""Generate student labs from solution notebooks: solutions/NN-topic-lab.ipynb -> labs/NN-topic-lab.ipynb.

Markers (nbgrader-compatible, matched as substrings of a line, so `### BEGIN SOLUTION` and
`<!-- BEGIN SOLUTION -->` both work):

* code:  lines from `### BEGIN SOLUTION [message]` to `### END SOLUTION` become, at the marker's
  indentation, `# YOUR CODE HERE` + `raise NotImplementedError("<message>")`.  Without a message the
  nearest preceding "**Exercise N.M**" label is used ("Exercise N.M: write your code here").
* code:  a single line `name = expr  # SOLUTION` becomes `name = ...  # YOUR CODE HERE`.
* markdown: a solution region becomes "YOUR ANSWER HERE".
* `### BEGIN HIDDEN TESTS` .. `### END HIDDEN TESTS` regions are removed (a cell left empty is dropped).
* Check cells carry the cell tag `check`; they are made read-only in the lab.  `scripts/check_labs.py`
  requires every check cell of a generated lab to raise (an unsolved lab must not pass its checks).

Outputs, execution counts and non-teaching metadata are dropped; JSON is written deterministically so
`--check` (regenerate into a temporary directory and compare with labs/) is meaningful.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
KEEP_CELL_META = ("tags", "slideshow", "editable", "deletable")
EXERCISE_RE = re.compile(r"Exercise\s+(\d+(?:\.\d+)*)")
INLINE_RE = re.compile(r"^(\s*[\w\.\[\]'\", ]+?\s*=\s*).*?#\s*SOLUTION\s*$")


class MarkerError(ValueError):
    pass


def _regions(lines, begin, end, where):
    """Yield (start, stop) line indices of begin..end regions (inclusive)."""
    start = None
    for i, line in enumerate(lines):
        if begin in line:
            if start is not None:
                raise MarkerError(f"{where}: nested '{begin}' at line {i + 1}")
            start = i
        elif end in line:
            if start is None:
                raise MarkerError(f"{where}: '{end}' without '{begin}' at line {i + 1}")
            yield start, i
            start = None
    if start is not None:
        raise MarkerError(f"{where}: '{begin}' at line {start + 1} is never closed")


def _replace(lines, begin, end, where, stub):
    out, last = [], 0
    for a, b in list(_regions(lines, begin, end, where)):
        out += lines[last:a] + stub(lines[a])
        last = b + 1
    return out + lines[last:]


def convert_cell(cell, label, where):
    lines = cell.source.splitlines()
    lines = _replace(lines, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", where, lambda _: [])
    if cell.cell_type == "code":
        def stub(marker):
            indent = marker[: len(marker) - len(marker.lstrip())]
            msg = marker.split("BEGIN SOLUTION", 1)[1].strip()
            msg = msg or (f"Exercise {label}: write your code here" if label else "write your code here")
            return [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError({msg!r})"]

        lines = _replace(lines, "BEGIN SOLUTION", "END SOLUTION", where, stub)
        lines = [INLINE_RE.sub(r"\1...  # YOUR CODE HERE", ln) for ln in lines]
    elif cell.cell_type == "markdown":
        lines = _replace(lines, "BEGIN SOLUTION", "END SOLUTION", where, lambda _: ["YOUR ANSWER HERE"])
    cell.source = "\n".join(lines).strip("\n")
    meta = {k: cell.metadata[k] for k in KEEP_CELL_META if k in cell.metadata}
    if "check" in meta.get("tags", []):
        meta.update(editable=False, deletable=False)
    cell.metadata = nbformat.from_dict(meta)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def make_lab(src: Path) -> str:
    nb = nbformat.read(src, as_version=4)
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    cells, label = [], None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and (m := EXERCISE_RE.search(cell.source)):
            label = m.group(1)
        had_source = bool(cell.source.strip())
        cell = convert_cell(cell, label, f"{src.name} cell {i}")
        if had_source and not cell.source.strip():
            continue  # a hidden-tests-only cell
        cell.setdefault("id", f"{src.stem}-{i}")
        cells.append(cell)
    nb.cells = cells
    nb.metadata = nbformat.from_dict({
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        **({"title": nb.metadata["title"]} if "title" in nb.metadata else {}),
    })
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def generate(src_dir: Path, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted(src_dir.glob("*.ipynb")) if src_dir.is_dir() else []:
        dest = out_dir / src.name
        dest.write_text(make_lab(src), encoding="utf-8")
        written.append(dest)
    return written


def check(src_dir: Path, labs_dir: Path) -> list[str]:
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


def main(argv=None) -> int:
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
    except MarkerError as exc:
        print(f"make_labs: {exc}", file=sys.stderr)
        return 2
    shown = [p.relative_to(ROOT) if p.is_relative_to(ROOT) else p for p in written]
    print(f"generated {len(written)} lab(s)" + "".join(f"\n  {p}" for p in shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
