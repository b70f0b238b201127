"""Every notebook, executed whole under pytest --nbval-lax as an instructor runs one, in both directions:
with the solutions every cell passes; with the stubs exactly the check cells fail, each as "not written yet".
Also keeps the committed notebooks clean (no execution counts, no outputs)."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT
from course_lib._grade import notebook_check_cells as check_cells

pytestmark = pytest.mark.timeout(900)  # nbval runs a whole notebook in one test

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory):
    """Generated sample data is shared by the two runs of each notebook (it is only a cache)."""
    return tmp_path_factory.mktemp("course-data")


def run_nbval(notebook, answers, data_dir, tmp_path):
    report = tmp_path / f"{notebook.stem}-{answers}.xml"
    env = dict(
        os.environ,
        COURSE_ANSWERS=answers,
        COURSE_DATA=str(data_dir),
        COURSE_PROGRESS=str(tmp_path / "progress.json"),
        PYTHONPATH=str(ROOT),
        MPLBACKEND="agg",
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(ROOT), "-c", os.devnull, f"--junitxml={report}", str(notebook)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert report.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    failed = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            number = int(case.get("name").split()[-1])
            failed[number] = (problem.get("message") or "") + (problem.text or "")
    return failed, result


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_passes_with_solutions(notebook, shared_data, tmp_path):
    failed, result = run_nbval(notebook, "solutions", shared_data, tmp_path)
    assert failed == {}, "\n\n".join(f"cell {n}:\n{text[-2000:]}" for n, text in failed.items())
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_with_stubs_fails_exactly_at_check_cells(notebook, shared_data, tmp_path):
    expected = check_cells(notebook)
    assert expected, f"{notebook.name} has no check cells"
    failed, _ = run_nbval(notebook, "stubs", shared_data, tmp_path)
    others = {n: text for n, text in failed.items() if n not in expected}
    assert others == {}, "cells other than checks failed:\n" + "\n\n".join(
        f"cell {n}:\n{text[-2000:]}" for n, text in others.items()
    )
    assert sorted(failed) == sorted(expected), "every check cell must fail on the stubs"
    for number, exercise_id in expected.items():
        assert f"{exercise_id} " in failed[number] and "is not written yet" in failed[number], failed[number][-1500:]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_clean(notebook):
    nb = json.loads(notebook.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("execution_count") is None, "execution counts are committed"
            assert cell.get("outputs") == [], "outputs are committed: ports, timings and paths differ per machine"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ is empty"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_each_cell_shows_one_idea(notebook):
    """No code cell over 30 lines, no markdown cell over 150 words: harnesses live in course_lib/demosNN.py."""
    import re

    cells = json.loads(notebook.read_text())["cells"]
    text = {n: "".join(c["source"]) for n, c in enumerate(cells)}
    lines = {n: len(text[n].splitlines()) for n, c in enumerate(cells) if c["cell_type"] == "code"}
    words = {n: len(re.findall(r"\S+", text[n])) for n, c in enumerate(cells) if c["cell_type"] == "markdown"}
    assert {n: count for n, count in lines.items() if count > 30} == {}, "code cells over 30 lines"
    assert {n: count for n, count in words.items() if count > 150} == {}, "markdown cells over 150 words"
