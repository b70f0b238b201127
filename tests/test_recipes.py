"""The grading recipes an instructor copies: each validates against the schema of the engine that runs it, and a
broken copy does not (so the validation is real), and each calls the course's commands with options they have."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

RECIPES = ROOT / "course_lib" / "recipes"


def tool(name: str) -> str:
    """A command of this Python's environment (both are pinned in requirements.txt)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed beside {sys.executable}: pip install -r requirements.txt"
    return found


def validate_kubernetes(path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("kubernetes-validate"), "--strict", str(path)], capture_output=True, text=True)


def validate_workflow(path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True)  # fmt: skip


def test_kubernetes_indexed_job_validates(tmp_path):
    manifest = RECIPES / "kubernetes-indexed-job.yaml"
    done = validate_kubernetes(manifest)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed for resource job/grade-class" in done.stdout + done.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(manifest.read_text().replace("completionMode: Indexed", "completionMod: Indexed"))
    assert validate_kubernetes(broken).returncode != 0, "a misspelt field passed: the validation is not real"


def test_github_actions_workflow_validates(tmp_path):
    workflow = RECIPES / "github-actions-grade.yml"
    done = validate_workflow(workflow)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow.read_text().replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04"))
    assert validate_workflow(broken).returncode != 0, "a misspelt key passed: the validation is not real"


@pytest.mark.parametrize("recipe", sorted(p.name for p in RECIPES.iterdir()))
def test_recipes_use_options_the_commands_have(recipe):
    text = (RECIPES / recipe).read_text()
    for command in ("grade-one", "merge"):
        lines = [line for line in text.splitlines() if f"course_lib {command} " in line]
        assert lines, f"{recipe} never runs {command}"
        options = set(re.findall(r"--[a-z][a-z-]+", " ".join(lines)))
        shown = subprocess.run([sys.executable, "-m", "course_lib", command, "--help"], cwd=ROOT,
                               capture_output=True, text=True).stdout  # fmt: skip
        assert {o for o in options if o not in shown} == set(), f"{recipe} uses options {command} does not have"
