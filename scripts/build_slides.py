#!/usr/bin/env python3
"""Build offline reveal.js decks: notebooks/NN-topic.ipynb -> slides/NN-topic.slides.html.

Each notebook is executed (nbclient, so widget state is embedded and sliders/plots render frozen at
their last state), then exported with nbconvert's SlidesExporter whose asset URLs point at copies in
slides/vendor/, fetched from the npm registry with `npm pack` (pinned in VENDOR below).  The decks then
open from disk with no network.  `--check` verifies that every notebook has a deck and that decks load
only local assets (no http(s):// script/stylesheet/image/import), and that those local files exist.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_RE = re.compile(r"^\d\d-[\w-]+\.ipynb$")

# npm package -> (version, [(path inside the package, destination under slides/vendor/)]).
# reveal.js 4.0.2 is what nbconvert 7's reveal template defaults to (dist/ + plugin/notes layout);
# html-manager 1.x renders ipywidgets 8 state (ipywidgets asks for ^1.0.1); jQuery 2.0.3 is not on
# npm, 2.2.4 is the closest 2.x; MathJax 2.7.7 is the template's default version.
VENDOR = {
    "reveal.js": ("4.0.2", [("dist", "reveal.js/dist"), ("plugin", "reveal.js/plugin")]),
    "@jupyter-widgets/html-manager": ("1.0.15", [("dist", "html-manager")]),
    "requirejs": ("2.3.8", [("require.js", "require.js")]),
    "jquery": ("2.2.4", [("dist/jquery.min.js", "jquery.min.js")]),
    "mathjax": ("2.7.7", [(p, f"mathjax/{p}") for p in
                          ("MathJax.js", "config", "extensions", "fonts", "jax", "localization")]),
}
# The reveal template imports mermaid unconditionally (and its URL is not a config option); a local
# no-op module keeps the deck offline. Mermaid diagrams are therefore not rendered in slides.
MERMAID_STUB = "export default { initialize() {}, run() {} };\n"
THEME = "white"  # "simple" (nbconvert's default) @imports Google Fonts; "white" uses bundled fonts
URLS = dict(
    reveal_url_prefix="vendor/reveal.js",
    require_js_url="vendor/require.js",
    jquery_url="vendor/jquery.min.js",
    mathjax_url="vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    widget_renderer_url="vendor/html-manager/embed-amd.js",
    font_awesome_url="vendor/html-manager/font-awesome.css",  # unused by the reveal template
    mermaid_js_url="vendor/mermaid-stub.mjs",
    mermaid_layout_elk_js_url="vendor/mermaid-stub.mjs",
)


def fetch_vendor(vendor_dir: Path) -> None:
    stamp = vendor_dir / ".versions.json"
    wanted = {name: ver for name, (ver, _) in VENDOR.items()}
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        return
    if shutil.which("npm") is None:
        sys.exit("build_slides: `npm` is needed to fetch reveal.js & co. for offline slides")
    if vendor_dir.exists():
        shutil.rmtree(vendor_dir)
    vendor_dir.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        specs = [f"{name}@{ver}" for name, ver in wanted.items()]
        print("fetching from npm:", " ".join(specs), flush=True)
        subprocess.run(["npm", "pack", "--silent", "--pack-destination", tmp, *specs],
                       check=True, stdout=subprocess.DEVNULL)
        for name, (ver, parts) in VENDOR.items():
            tgz = Path(tmp) / f"{name.lstrip('@').replace('/', '-')}-{ver}.tgz"
            out = Path(tmp) / tgz.stem
            with tarfile.open(tgz) as tar:
                tar.extractall(out, filter="data")
            for src, dest in parts:
                s, d = out / "package" / src, vendor_dir / dest
                d.parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if s.is_dir() else shutil.copy2)(s, d)
    (vendor_dir / "mermaid-stub.mjs").write_text(MERMAID_STUB)
    stamp.write_text(json.dumps(wanted, indent=1, sort_keys=True))


def execute(nb, cwd: Path, timeout: int) -> None:
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()


TEMPLATES = Path(__file__).resolve().parent / "templates"  # templates/course: see its header comment


def export(nb, out: Path) -> None:
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input"}  # diagrams: the figure, not the call
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    exporter = SlidesExporter(config=config, reveal_theme=THEME, template_name="course",
                              extra_template_basedirs=[str(TEMPLATES)])
    for k, v in URLS.items():
        setattr(exporter, k, v)  # mermaid_* are not config traits, so set them on the instance
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": out.stem}})
    out.write_text(body, encoding="utf-8")


# ------------------------------------------------------------------ offline check
REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)
INERT = ("http://www.w3.org/",)
ASSET_ATTRS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src",
               "video": "src", "audio": "src", "embed": "src", "object": "data", "track": "src"}
JS_TYPES = ("", "text/javascript", "application/javascript", "module")
JS_URL = re.compile(r"""["'`]((?:https?:)?//[^"'`\s]+)["'`]""")
CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])((?:https?:)?//[^"')\s]+)""")


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs, self.inline, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ASSET_ATTRS and a.get(ASSET_ATTRS[tag]):
            self.refs.append((tag, a[ASSET_ATTRS[tag]]))
        if tag == "script" and (a.get("type") or "").lower() in JS_TYPES:
            self._in = "js"
        elif tag == "style":
            self._in = "css"

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data):
        if self._in == "js":
            self.inline += [("inline script", u) for u in JS_URL.findall(data)]
        elif self._in == "css":
            self.inline += [("inline style", u) for u in CSS_URL.findall(data)]


def check_deck(html: Path) -> list[str]:
    """Problems with one deck: remote asset references and missing local assets."""
    parser = _Refs()
    parser.feed(html.read_text(encoding="utf-8"))
    problems = []
    for tag, url in parser.refs + parser.inline:
        if url.startswith(INERT) or url.startswith(("data:", "#", "blob:")):
            continue
        if REMOTE.match(url):
            problems.append(f"{html.name}: {tag} loads remote {url}")
        elif tag in ASSET_ATTRS:
            local = (html.parent / url.split("?")[0].split("#")[0]).resolve()
            if not local.exists():
                problems.append(f"{html.name}: {tag} references missing local file {url}")
    theme = html.parent / URLS["reveal_url_prefix"] / "dist" / "theme" / f"{THEME}.css"
    if theme.is_file() and CSS_URL.search(theme.read_text(encoding="utf-8")):
        problems.append(f"{theme}: theme imports remote fonts/styles")
    return problems


def notebooks(nb_dir: Path) -> list[Path]:
    return sorted(p for p in nb_dir.glob("*.ipynb") if NOTEBOOK_RE.match(p.name))


def build_deck(src: Path, deck: Path, run: bool, timeout: int) -> str:
    """Execute *src* (unless not *run*) and export it to *deck*; one line saying what happened."""
    t0 = time.monotonic()
    deck.unlink(missing_ok=True)  # a failed build must not leave an old deck behind
    try:
        nb = nbformat.read(src, as_version=4)
        if run:
            execute(nb, src.parent.resolve(), timeout)
        export(nb, deck)
    except Exception as exc:  # report every notebook; the check below fails on the missing deck
        text = str(exc).strip()  # nbclient's CellExecutionError: the cell's source, then its traceback
        shown = text if len(text) <= 2000 else f"{text[:700]}\n[...]\n{text[-1300:]}"
        return f"FAILED {src.name}: {type(exc).__name__}: {shown}"
    shown = deck.relative_to(ROOT) if deck.is_relative_to(ROOT) else deck
    return f"built {shown} in {time.monotonic() - t0:.1f}s"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN-*.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / "slides")
    ap.add_argument("--no-execute", action="store_true", help="use the outputs stored in the notebook")
    ap.add_argument("--timeout", type=int, default=120, help="per-cell timeout when executing")
    ap.add_argument("--check", action="store_true", help="only check the built decks")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="notebooks built at once, each in its own kernel (default: one per CPU)")
    args = ap.parse_args(argv)
    nbs = args.notebooks or notebooks(ROOT / "notebooks")
    decks = [args.out / f"{p.stem}.slides.html" for p in nbs]
    if not args.check:
        fetch_vendor(args.out / "vendor")
        jobs = max(1, min(args.jobs, len(nbs)))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(build_deck, src, deck, not args.no_execute, args.timeout)
                       for src, deck in zip(nbs, decks)]
            for future in futures:  # report in notebook order
                print(future.result(), flush=True)
    problems = []
    for deck in decks:
        problems += check_deck(deck) if deck.is_file() else [f"{deck.name}: deck was not built"]
    for p in problems:
        print(f"  ERROR: {p}")
    print(f"slides: {len(decks)} deck(s) checked, {len(problems)} problem(s)"
          + ("" if problems else " - all load only local assets"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
