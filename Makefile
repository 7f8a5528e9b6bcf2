# serverless-course: set-up, lab, tests, labs and slides.  `make help` lists the targets.
# pyproject.toml is the single source of dependency pins (extras `course` and `test`).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
LAB_ARGS ?=
PYTEST_ARGS ?=
# Tests, notebooks, labs and slides run on every CPU (pytest-xdist, process pools); JOBS=1 runs them one at a time.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
XDIST := $(if $(filter-out 1,$(JOBS)),-n $(JOBS),)

STAMP_COURSE := $(VENV)/.stamp-course
STAMP_TEST := $(VENV)/.stamp-test
SLIDES_BUILT := slides/.built
SLIDE_SOURCES := $(wildcard notebooks/*.ipynb) scripts/build_slides.py $(shell find scripts/templates src -type f \
                   -not -name '*.pyc' 2>/dev/null)

.PHONY: help venv install install-course lab test test-unit test-fast lint-imports test-notebooks check-labs \
        check-labs-fail check-labs-solved check-slides test-browser labs slides clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-install whenever pyproject.toml changes; the stamps make reruns a no-op.
# uv (its pin is in pyproject's `test` extra) resolves the same versions as pip in ~15 s instead of ~2 min;
# pip does the job when uv cannot be installed.
UV_SPEC := $(shell grep -o '"uv[<>=!~][^"]*"' pyproject.toml | head -1 | tr -d '"')
ALL_EXTRAS := .[course,test]
define install
	$(PIP) install -qq "$(UV_SPEC)" && $(VENV)/bin/uv pip install -q --python $(PY) -e '$(1)' \
	  || { echo "uv is not available: installing with pip (slower)"; $(PIP) install -qq -e '$(1)'; }
endef

$(STAMP_TEST): pyproject.toml | $(PY)
	$(call install,$(ALL_EXTRAS))
	touch $(STAMP_COURSE) $@

$(STAMP_COURSE): pyproject.toml | $(PY)
	$(call install,.[course])
	touch $@

venv: $(STAMP_TEST) ## create .venv and install the course + test tools (-e .[course,test])
install: venv
install-course: $(STAMP_COURSE) ## install only what the lab needs (-e .[course])

lab: install-course ## open JupyterLab on the course index (127.0.0.1, no news pop-up; extra options in LAB_ARGS)
	$(PY) scripts/lab.py $(LAB_ARGS)

# `make test` runs every part even if one fails, then reports and fails if any part failed.
TEST_PARTS := lint-imports test-unit test-notebooks check-labs check-labs-fail check-labs-solved check-slides test-browser
test: venv ## everything CI runs: import contracts, pytest, every notebook, labs up to date, labs fail unsolved and pass solved, slides, browser checks
	@failed=(); passed=0; \
	for part in $(TEST_PARTS); do \
	  echo; echo "==================== make $$part ===================="; \
	  start=$$SECONDS; \
	  if $(MAKE) --no-print-directory $$part; then passed=$$((passed+1)); status=ok; \
	  else failed+=("$$part"); status=FAILED; fi; \
	  echo "---- $$part: $$status ($$((SECONDS-start))s)"; \
	done; \
	echo; \
	if [ $${#failed[@]} -gt 0 ]; then echo "make test: FAILED parts: $${failed[*]}"; fi; \
	echo "make test: $$passed passed, $${#failed[@]} failed"; \
	[ $${#failed[@]} -eq 0 ]

# pytest exit 5 means "no tests collected": an error here, never a silent success.
test-unit: venv ## (a) pytest tests/ without the browser checks (pytest-timeout from pyproject)
	@$(PY) -m pytest tests --ignore=tests/course/browser $(XDIST) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "test-unit: pytest collected no tests"; fi; exit $$rc

test-fast: venv ## the inner loop: pytest -m "not process" (no environments), without tests/course (notebooks, labs, slides)
	@$(PY) -m pytest tests -m "not process" --ignore=tests/course $(XDIST) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "test-fast: pytest collected no tests"; fi; exit $$rc

lint-imports: venv ## (0) layer contracts of pyproject.toml [tool.importlinter] (import-linter)
	$(VENV)/bin/lint-imports

# Each notebook is executed once per change, by the deck build (nbclient; widget state is embedded): a cell that
# raises fails the build with the cell and its traceback, and the build prints each notebook's time.
test-notebooks: $(SLIDES_BUILT) ## (b) every notebook runs top to bottom without an error (executed by the deck build)
	@echo "test-notebooks: every notebook ran top to bottom without an error (see the deck build's times)"

check-labs: venv ## (c) fail if labs/ is not what solutions/ generates
	$(PY) scripts/make_labs.py --check

check-labs-fail: venv ## (d) every grader.check of an unsolved lab must fail
	$(PY) scripts/check_labs.py --jobs $(JOBS)

check-labs-solved: check-labs ## (e) solutions pass every check (hidden tests too): wrong try, right, right again
	$(PY) scripts/check_labs.py --solved --jobs $(JOBS)

check-slides: $(SLIDES_BUILT) ## (e) build slides (if their sources changed) and check they load only local assets
	$(PY) scripts/build_slides.py --check

# Browser checks need Chromium; without one they are skipped with one clear line (never silently).
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || true)
test-browser: $(SLIDES_BUILT) ## (f) Chromium + Playwright: JupyterLab Run All, sliders, live deck, offline decks
	@if [ -z "$(CHROMIUM)" ]; then \
	  echo "test-browser: SKIPPED - no Chromium found (apt-get install chromium, or CHROMIUM=/path/to/chromium)"; \
	else \
	  CHROMIUM="$(CHROMIUM)" $(PY) -m pytest tests/course/browser --timeout=900 -q -rs $(PYTEST_ARGS); \
	fi

labs: $(STAMP_COURSE) ## regenerate labs/ from the otter master notebooks in solutions/ (commit the result)
	$(PY) scripts/make_labs.py

slides: $(SLIDES_BUILT) ## build offline decks slides/NN-topic.slides.html (needs npm); again only when a source changed

# The decks are built once for check-slides and test-browser: the stamp is newer than every source of a deck.
$(SLIDES_BUILT): $(STAMP_COURSE) $(SLIDE_SOURCES)
	$(PY) scripts/build_slides.py --jobs $(JOBS)
	touch $@

clean: ## remove built slides, vendored JS, caches (keeps .venv; rm -rf .venv to reset)
	rm -rf slides/vendor slides/*.slides.html $(SLIDES_BUILT) build .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +
