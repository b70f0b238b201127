"""course.toml is the one home of each exercise's id, title, file, function(s) and hints.  These tests tie every
entry to everything else that names it, so an id or a title cannot drift: its notebook heading and check cell,
its stub and its solution, its cases in course_lib/checks and its wrong answers in tests/answers/."""

from __future__ import annotations

import ast
import json
import re

import pytest

from course_lib._grade import notebook_check_cells
from course_lib._source import function_source
from course_lib.checks import _case
from course_lib.registry import exercise_ids, exercises
from conftest import ROOT
from test_answers import answer_files, metadata

IDS = exercise_ids()
HEADING = re.compile(r"^### Exercise (\d+\.\d+) — (.*)$", re.M)


def notebook_of(ex):
    (found,) = (ROOT / "notebooks").glob(f"{ex.chapter}_*.ipynb")
    return found


def headings(notebook):
    """[(id, title, markdown)] for every exercise heading in the notebook."""
    found = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            found += [(m.group(1), m.group(2), text) for m in HEADING.finditer(text)]
    return found


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_notebook_heads_the_exercise_with_its_title_and_links_its_file(exercise_id):
    ex = exercises()[exercise_id]
    found = [(title, text) for id_, title, text in headings(notebook_of(ex)) if id_ == exercise_id]
    assert [title for title, _ in found] == [ex.title], f"{notebook_of(ex).name}: the heading of {exercise_id}"
    assert f"(../exercises/{ex.module}.py)" in found[0][1], "the heading's cell links the exercise file"


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_notebook_checks_the_exercise_once(exercise_id):
    ex = exercises()[exercise_id]
    assert list(notebook_check_cells(notebook_of(ex)).values()).count(exercise_id) == 1


def test_no_notebook_names_an_exercise_the_manifest_lacks():
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert {id_ for id_, _, _ in headings(notebook)} <= set(IDS), notebook.name
        assert set(notebook_check_cells(notebook).values()) <= set(IDS), notebook.name


@pytest.mark.parametrize("exercise_id", IDS)
def test_stub_and_solution_hold_every_function(exercise_id):
    ex = exercises()[exercise_id]
    for folder in ("exercises", "solutions"):
        text = (ROOT / folder / f"{ex.module}.py").read_text(encoding="utf-8")
        for name in ex.functions:
            assert function_source(text, name), f"{folder}/{ex.module}.py has no {name}"


def test_every_exercise_has_cases_and_every_case_an_exercise():
    from course_lib import checks  # noqa: F401 - registers the cases

    assert set(_case.CASES) == set(IDS)


@pytest.mark.parametrize("exercise_id", IDS)
def test_hints_go_from_nudge_to_docs(exercise_id):
    hints = exercises()[exercise_id].hints
    assert 2 <= len(hints) <= 3
    assert re.search(r"https://\S+", hints[-1]), "the last hint ends with a link to the docs"


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_has_wrong_answer_files(exercise_id):
    wrong = [p for p in answer_files() if metadata(p).get("EXERCISE") == exercise_id and metadata(p)["VERDICT"] != "passed"]
    assert wrong, f"no wrong answer in tests/answers/ names EXERCISE = {exercise_id!r}"


def test_every_answer_file_names_an_exercise_and_its_function():
    for path in answer_files():
        meta = metadata(path)
        ex = exercises().get(meta.get("EXERCISE", ""))
        assert ex is not None, f"{path.name}: EXERCISE {meta.get('EXERCISE')!r} is not in course.toml"
        assert path.parent.name == f"ch{ex.chapter}", path
        assert path.stem.split("__")[0] in ex.functions, f"{path.name} is named for none of {ex.functions}"
        defined = {n.name for n in ast.parse(path.read_text()).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        in_module = {name for other in exercises().values() if other.module == ex.module for name in other.functions}
        assert defined & in_module, f"{path.name} defines no function of {ex.module}"  # (one answer changes another's)
