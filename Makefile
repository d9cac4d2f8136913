# Front door. `make report` and `make test` set up .venv themselves on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Kernels and matplotlib must not read the user's own configuration.
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv report test test-slow fuzz bench mutate lint lab execute locate annotations clean clean-venv

help:
	@echo "make report   build reports/report.html and reports/report.pdf"
	@echo "make report ARGS='--timeout 300 --debug'  a longer cell time limit; tracebacks of failures"
	@echo "make test     ruff, pytest on tests/, strict nbval on notebooks/"
	@echo "make test-slow  the long fault-injection cases (CI runs them after make test)"
	@echo "make lab      open JupyterLab on the project"
	@echo "make bench    time report and test builds against the naive nbconvert baseline"
	@echo "make fuzz     a long random fuzz of the data loaders (FUZZ_EXAMPLES, default 1000)"
	@echo "make mutate   mutation testing of the analysis modules (mutmut; slow, one core; not in make test)"
	@echo "make execute  re-execute the notebooks in place (commit the result)"
	@echo "make locate   fill in missing quote offsets in data/ tables"
	@echo "make annotations  regenerate data/derived/annotations.csv with spaCy"

venv: $(STAMP)

# uv (pinned in requirements.txt, installed into .venv first) installs the environment in
# seconds; where uv cannot be installed, pip does the same from the same requirements.txt.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if $(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep '^uv==' requirements.txt)"; then \
		echo "installing requirements.txt with uv"; \
		$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt && \
		$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .; \
	else \
		echo "uv could not be installed: installing requirements.txt with pip (about 1.5 minutes)"; \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt && \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .; \
	fi
	touch $@

report: $(STAMP)
	$(BIN)/python -m tashkent_report.build $(ARGS)

# One pytest run, two workers: unit tests and strict nbval (each notebook whole on one worker).
# Long end-to-end cases (marker "slow") are left to test-slow, which CI runs too.
test: $(STAMP) lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not slow" --nbval --nbval-current-env tests notebooks

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist load -m slow tests

fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} $(BIN)/python -m pytest -q tests/test_fuzz.py -k broken --hypothesis-show-statistics

bench: $(STAMP)
	$(BIN)/python bench/benchmark.py

# Mutation testing ([tool.mutmut] in pyproject.toml says which modules and which tests): one
# worker at low priority (MUTATE_CHILDREN to change), the facts cache off so that every mutant
# is checked against freshly checked data. Resumes where it stopped; rm -rf mutants/ starts anew.
# MUTANTS limits the run to mutant names (globs), e.g. MUTANTS='tashkent_report.numerals.*'.
mutate: $(STAMP)
	TASHKENT_REPORT_NO_CACHE=1 nice -n 10 $(BIN)/mutmut run --max-children $${MUTATE_CHILDREN:-1} $(MUTANTS)
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python bench/mutation_score.py

lint: $(STAMP)
	$(BIN)/ruff check .

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=.

execute: $(STAMP)
	$(BIN)/python -m tashkent_report.build --execute-in-place $(ARGS)

annotations: $(STAMP)
	$(BIN)/python -m tashkent_report.nlp

locate: $(STAMP)
	$(BIN)/python -m tashkent_report.locate

# reports is a link to the last build's folder in .reports.d/ (see src/tashkent_report/publish.py).
clean:
	rm -rf reports .reports.d build

clean-venv:
	rm -rf $(VENV)
