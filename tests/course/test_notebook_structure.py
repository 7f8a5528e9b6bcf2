"""Every module notebook (NN-topic.ipynb, present and future) is built for both slide shows.

jupyterlab-slideshow does not show cells whose slide type is "-" (nbconvert treats a missing type
the same way), so continuation cells carry no slide type. Imports and clean-up are skipped; Key
points, In practice and Next are slides of their own; each deck has speaker notes and a diagram;
every "In practice" claim links to the AWS page behind it.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb") if not p.name.startswith("00-"))
LINK = re.compile(r"\]\((https://[^)]+)\)")


def slide_type(cell):
    return cell.metadata.get("slideshow", {}).get("slide_type")


@pytest.fixture(params=MODULES, ids=lambda p: p.stem)
def nb(request):
    return nbformat.read(request.param, as_version=4)


def test_there_are_modules():
    assert MODULES, "no notebooks/NN-topic.ipynb found"


def test_no_continuation_cell_uses_dash(nb):
    dashes = [i for i, c in enumerate(nb.cells) if slide_type(c) == "-"]
    assert not dashes, f"cells {dashes} have slide_type '-', which jupyterlab-slideshow never shows: remove it"


def test_no_sub_slides(nb):
    """The live deck's forward button skips vertical sub-slides; a lecture clicking forward must see everything."""
    subs = [c.source.splitlines()[0][:50] for c in nb.cells if slide_type(c) == "subslide"]
    assert not subs, f"sub-slides {subs} are skipped by the live deck's forward button: make them slides"


def test_starts_with_a_slide_and_skips_setup(nb):
    assert slide_type(nb.cells[0]) == "slide"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert slide_type(first_code) == "skip", "the imports cell should be skipped in slides"
    closing = [c for c in nb.cells if c.cell_type == "code" and c.source.strip().startswith("cloud.close()")]
    assert all(slide_type(c) == "skip" for c in closing)


@pytest.mark.parametrize("heading", ["## Key points", "## In practice", "## Next"])
def test_closing_sections_are_slides_of_their_own(nb, heading):
    cells = [c for c in nb.cells if c.cell_type == "markdown" and heading in c.source]
    assert len(cells) == 1, f"one cell should hold {heading!r}"
    assert cells[0].source.lstrip().startswith(heading) and slide_type(cells[0]) == "slide"
    assert len(re.findall(r"(?m)^## ", cells[0].source)) == 1, f"{heading!r} shares its slide"


def test_every_in_practice_claim_links_to_its_source(nb):
    cell = next(c for c in nb.cells if c.source.lstrip().startswith("## In practice"))
    bullets = [ln for ln in cell.source.splitlines() if ln.startswith("* ")]
    assert bullets
    missing = [b[:60] for b in bullets if not LINK.search(b)]
    assert not missing, f"In practice claims without a link to the AWS page behind them: {missing}"
    assert all(u.startswith(("https://docs.aws.amazon.com/", "https://aws.amazon.com/", "https://boto3.amazonaws.com/"))
               for b in bullets for u in LINK.findall(b))


def test_speaker_notes_and_a_diagram(nb):
    assert any(slide_type(c) == "notes" for c in nb.cells), "add speaker notes (slide type 'notes')"
    assert any(c.cell_type == "code" and "minilambda.widgets.diagrams" in c.source for c in nb.cells), \
        "each module shows at least one diagram from minilambda.widgets.diagrams"


def test_explorers_do_not_depend_on_the_notebooks_cloud(nb):
    calls = [c.source for c in nb.cells if c.cell_type == "code" and "event_explorer(cloud" in c.source]
    assert not calls, "event_explorer() owns its Cloud; passing the notebook's makes it die at cloud.close()"
