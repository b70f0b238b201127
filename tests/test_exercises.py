"""Both directions for every exercise: no exercise starts solved, every solution passes.

Also keeps exercises/ and solutions/ mirrored, and the committed exercises/ equal to the stubs made from
solutions/ (what reset() and these tests use, so a learner's own answers never change what `make test` proves).
"""

import ast
import os
import re
import subprocess

import pytest

from course_lib import CheckFailed, check
from course_lib._answers import SOLUTIONS, stub_module
from course_lib._source import function_source
from course_lib.registry import exercise_ids, exercises
from conftest import ROOT

IDS = exercise_ids()


@pytest.mark.parametrize("exercise_id", IDS)
def test_solution_passes(exercise_id, capsys):
    check(exercise_id)  # raises CheckFailed on failure
    assert capsys.readouterr().out.startswith(f"✓ {exercise_id} ")


@pytest.mark.parametrize("exercise_id", IDS)
def test_stub_fails_as_not_written(exercise_id, monkeypatch):
    monkeypatch.setenv("COURSE_ANSWERS", "stubs")
    ex = exercises()[exercise_id]
    with pytest.raises(CheckFailed) as info:
        check(exercise_id)
    assert str(info.value) == f"… {exercise_id} {ex.function} is not written yet: edit exercises/{ex.module}.py"


@pytest.mark.parametrize("exercise_id", IDS)
def test_hints_go_from_nudge_to_docs(exercise_id):
    hints = exercises()[exercise_id].hints
    assert 2 <= len(hints) <= 3
    assert re.search(r"https://\S+", hints[-1]), "the last hint ends with a link to the docs"


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_has_wrong_answer_tests(exercise_id):
    chapter = exercise_id.split(".")[0].zfill(2)
    text = "".join(path.read_text() for path in (ROOT / "tests").glob(f"test_ch{chapter}_wrong_answers*.py"))
    files = "".join(path.read_text() for path in (ROOT / "tests" / "answers" / f"ch{chapter}").glob("*.py"))
    assert re.search(rf"check\(\s*['\"]{re.escape(exercise_id)}['\"]", text) or re.search(
        rf"^EXERCISE = ['\"]{re.escape(exercise_id)}['\"]", files, re.M
    )


def functions(path):
    tree = ast.parse(path.read_text())
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = (type(node).__name__, ast.dump(node.args), ast.get_docstring(node))
    return ast.get_docstring(tree), found


def test_exercises_and_solutions_mirror_each_other():
    exercises = sorted(p.name for p in (ROOT / "exercises").glob("*.py"))
    solutions = sorted(p.name for p in (ROOT / "solutions").glob("*.py"))
    assert exercises == solutions
    for name in exercises:
        assert functions(ROOT / "exercises" / name) == functions(ROOT / "solutions" / name), name


def test_every_exercise_function_exists_in_both():
    for ex in exercises().values():
        for folder in ("exercises", "solutions"):
            assert ex.function in functions(ROOT / folder / f"{ex.module}.py")[1], (folder, ex.id)


def committed_exercise(name):
    """exercises/<name> as committed (a learner's edits in the working tree don't count).  On CI, a clean
    checkout, the working tree is what was committed, so a git that refuses to answer cannot hide a break."""
    try:
        return subprocess.run(
            ["git", "show", f"HEAD:exercises/{name}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        if os.environ.get("CI"):
            return (ROOT / "exercises" / name).read_text(encoding="utf-8")
        pytest.skip("not a git checkout with exercises/ committed; nothing to compare with")


def test_exercise_files_are_the_stubs_made_from_the_solutions():
    """exercises/ is what stub_module makes of solutions/: one source for each stub, nothing kept twice."""
    assert sorted(p.name for p in (ROOT / "exercises").glob("*.py")) == sorted(p.name for p in SOLUTIONS.glob("*.py"))
    for path in sorted(SOLUTIONS.glob("*.py")):
        assert committed_exercise(path.name) == stub_module(path.stem), path.name


def test_stubs_mark_where_the_learner_works():
    for ex in exercises().values():
        stub = stub_module(ex.module)
        for name in ex.functions:
            body = function_source(stub, name)
            assert "# TODO:" in body and "raise NotImplementedError" in body, (ex.id, name)
