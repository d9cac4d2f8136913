"""What the repository carries besides the report: the code host's CI workflow."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from tashkent_report.config import ROOT

BIN = Path(sys.executable).parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def supported_pythons() -> list[str]:
    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    return [f"3.{minor}" for minor in range(8, 16) if f"3.{minor}" in spec]


def workflow() -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); the tests below do not need it.
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def actionlint(path: Path) -> subprocess.CompletedProcess:
    command = [str(BIN / "actionlint"), f"-shellcheck={BIN / 'shellcheck'}", "-pyflakes=", str(path)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT)


def test_ci_runs_the_readme_test_command_on_every_supported_python():
    jobs = workflow()["jobs"]
    matrix_jobs = [job for job in jobs.values() if "matrix" in job.get("strategy", {})]
    assert len(matrix_jobs) == 1, "one job runs make test on each Python"
    job = matrix_jobs[0]
    assert job["strategy"]["matrix"]["python"] == supported_pythons() == ["3.11", "3.12", "3.13"]
    setup = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    # The Python that setup-python installed is the one make uses, and the command is the README's.
    assert "make test" in (ROOT / "README.md").read_text(encoding="utf-8")
    make = [run for run in runs(job) if run.startswith("make ")]
    assert make == ['make PYTHON="$PYTHON_PATH" test']
    step = next(step for step in job["steps"] if step.get("run") == make[0])
    assert step["env"]["PYTHON_PATH"] == f"${{{{ steps.{setup['id']}.outputs.python-path }}}}"


def test_ci_runs_the_slow_cases_too():
    commands = [run for job in workflow()["jobs"].values() for run in runs(job)]
    assert any(run.startswith("make ") and run.endswith(" test-slow") for run in commands)


def test_make_lint_runs_actionlint_on_the_workflows():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = makefile[makefile.index("\nlint:"):].split("\n\n")[0]
    assert "$(BIN)/actionlint" in lint and ".github/workflows/*.yml" in lint
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "lint" in test_rule.split(":", 1)[1].split()


def test_the_workflow_passes_actionlint():
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("old, new, rule", [
    ("python-version: ${{ matrix.python }}", "python-version: ${{ matrix.pyhton }}", "expression"),
    ('make PYTHON="$PYTHON_PATH" test', "make PYTHON=$PYTHON_PATH test", "shellcheck"),
    ("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.4", "runner-label"),
], ids=["misspelt-matrix-key", "unquoted-variable", "unknown-runner"])
def test_actionlint_finds_what_breaks_a_workflow(tmp_path, old, new, rule):
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode == 1 and f"[{rule}]" in result.stdout, result.stdout + result.stderr

