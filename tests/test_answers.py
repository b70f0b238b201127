"""Every answer in tests/answers/ gets the verdict it names, from the case it names, with the words it names.

An answer file is real code a learner could write: the exercise's function(s) with one mistake (or a right
answer written another way), and what its check must say about it:

    EXERCISE = "1.1"
    VERDICT = "failed"          # or "passed", "raised" (the answer's own exception), "timeout"
    CASE = "memory_stays_flat"  # the case of course_lib/checks that must end the check
    MESSAGE = ["of memory at its peak", "the whole file was in memory at once"]

    def file_chunks(path, chunk_size=1024 * 1024):
        ...

The answer is spliced into a copy of solutions/ (course_lib/_source.splice): its functions replace their
namesakes, its imports are added, and every other exercise keeps its reference answer.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from course_lib import CheckFailed, check
from course_lib._source import splice
from course_lib.registry import find
from conftest import ROOT, write_module

ANSWERS = ROOT / "tests" / "answers"
METADATA = frozenset({"EXERCISE", "VERDICT", "CASE", "MESSAGE", "TIME_LIMIT"})


def answer_files() -> list[Path]:
    return sorted(ANSWERS.rglob("*.py"))


def metadata(path: Path) -> dict:
    """The answer file's EXERCISE, VERDICT, CASE, MESSAGE (and TIME_LIMIT), read without running it."""
    found = {"VERDICT": "failed", "CASE": "", "MESSAGE": []}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], "id", "") in METADATA:
            found[node.targets[0].id] = ast.literal_eval(node.value)
    if isinstance(found["MESSAGE"], str):
        found["MESSAGE"] = [found["MESSAGE"]]
    return found


def build_answers(path: Path, folder: Path) -> str:
    """A copy of solutions/ in `folder` with the answer in `path` spliced in; the exercise's id."""
    meta = metadata(path)
    ex = find(meta["EXERCISE"])
    for solution in (ROOT / "solutions").glob("*.py"):
        shutil.copy(solution, folder / solution.name)
    base = (folder / f"{ex.module}.py").read_text(encoding="utf-8")
    write_module(folder, ex.module, splice(base, path.read_text(encoding="utf-8"), METADATA))
    return ex.id


@pytest.mark.parametrize("path", answer_files(), ids=lambda p: p.relative_to(ANSWERS).with_suffix("").as_posix())
def test_answer_gets_its_verdict(path, learner_dir, monkeypatch, capsys):
    meta = metadata(path)
    assert meta.get("EXERCISE"), f"{path.name} names no EXERCISE"
    if "TIME_LIMIT" in meta:
        from course_lib import _checks

        monkeypatch.setattr(_checks, "TIME_LIMIT", float(meta["TIME_LIMIT"]))
    exercise_id = build_answers(path, learner_dir)
    if meta["VERDICT"] == "passed":
        check(exercise_id)
        assert capsys.readouterr().out.startswith(f"✓ {exercise_id} ")
        return
    assert meta["CASE"] or meta["VERDICT"] != "failed", f"{path.name} names no CASE"
    with pytest.raises(CheckFailed) as info:
        check(exercise_id)
    failed = info.value
    assert failed.kind == meta["VERDICT"], failed.message
    if meta["CASE"]:
        assert failed.case == meta["CASE"], f"ended in case {failed.case!r}:\n{failed.message}"
    for phrase in meta["MESSAGE"]:
        assert phrase in failed.message, failed.message
    assert "Traceback" not in failed.message
