"""For the learner working alone: hints one at a time, the reference answer after an attempt,
a progress table, and resetting an exercise to its stub without losing what was there."""

from __future__ import annotations

import datetime as _dt
import shutil
from pathlib import Path

from . import _progress
from ._answers import ROOT, SOLUTIONS, answers_dir, answers_kind, display_path, stub_module
from .registry import Exercise, exercises, find
from ._shown import ProgressTable, Shown
from ._source import function_source, replace_function


def hint(exercise_id: str) -> Shown:
    """The next hint for an exercise: the first call a nudge, the last one nearly the answer."""
    ex = find(exercise_id)
    shown = int(_progress.entry(ex.id).get("hints", 0))
    number = min(shown + 1, len(ex.hints))
    if shown < len(ex.hints):
        _progress.update(ex.id, hints=number)
    text = f"Hint {number} of {len(ex.hints)} for {ex.id} {ex.function}: {ex.hints[number - 1]}"
    if number == len(ex.hints):
        text += f'\n(That is the last hint. After an attempt, solution("{ex.id}") shows the reference answer.)'
    return Shown(text, number=number, total=len(ex.hints))


def solution(exercise_id: str, give_up: bool = False) -> Shown:
    """The reference answer -- once you have checked an attempt of your own, or with give_up=True."""
    ex = find(exercise_id)
    tried = _progress.entry(ex.id).get("status") in ("passed", "failed")
    if not (tried or give_up):
        text = (
            f"The reference answer for {ex.id} opens after you have tried: write your answer in "
            f'{ex.learner_file} and run check("{ex.id}") once, pass or fail. A check of the untouched stub '
            f'("not written yet") does not count as a try.\n'
            f'(Or, to see it now: solution("{ex.id}", give_up=True).)'
        )
        return Shown(text, source=None)
    sources = [_source_in(SOLUTIONS / f"{ex.module}.py", name) for name in ex.functions]
    if None in sources:
        raise FileNotFoundError(f"solutions/{ex.module}.py lacks part of {ex.id}; the course files are incomplete")
    source = "\n\n".join(sources)
    if give_up and not tried:
        _progress.update(ex.id, gave_up=True)
    text = f"# Reference answer for {ex.id} ({display_path(SOLUTIONS / (ex.module + '.py'))})\n{source}"
    return Shown(text, source=source)


def _source_in(path: Path, name: str) -> str | None:
    """The source of the top-level function `name` in the file at `path`, read without importing it."""
    try:
        return function_source(path.read_text(encoding="utf-8"), name)
    except (OSError, SyntaxError):
        return None


def is_untouched_stub(ex: Exercise) -> bool:
    """Every function of the exercise in the learner's file is still its stub, character for character."""
    try:
        stub = stub_module(ex.module)
    except OSError:  # no solutions/ here (a grader's sandbox): nothing to compare with
        return False
    learner = answers_dir() / f"{ex.module}.py"
    return all(_source_in(learner, name) == function_source(stub, name) for name in ex.functions)


def _status(ex: Exercise, item: dict) -> str:
    if is_untouched_stub(ex):  # whatever was recorded, the file holds the stub now
        return "not written yet"
    status = item.get("status", "not tried")
    if status == "reset":
        status = "not tried"
    if status == "passed" and item.get("last") == "failed":
        status = "passed (last run failed)"
    return status


def _mark(status: str) -> str:
    return "✓" if status.startswith("passed") else {"failed": "✗", "not written yet": "…"}.get(status, "·")


def progress(chapter: str | int | None = None) -> ProgressTable:
    """A table of every exercise (or one chapter's: `progress("03")`): passed, failed, not written yet or
    not tried, with the hints used.  Its rows are dicts, for code that wants the data."""
    data = _progress.load()["exercises"]
    prefix = f"{int(chapter)}." if chapter is not None else ""
    rows = []
    for exercise_id, ex in exercises().items():
        if not exercise_id.startswith(prefix):
            continue
        item = data.get(exercise_id, {})
        rows.append(
            {
                "exercise": exercise_id,
                "function": ex.function,
                "title": ex.title,
                "status": _status(ex, item),
                "hints": f"{item.get('hints', 0)}/{len(ex.hints)}",
            }
        )
    done = sum(row["status"].startswith("passed") for row in rows)
    width = max(len(f"{r['function']} — {r['title']}") for r in rows) if rows else 10
    lines = [f"{'':2}{'exercise':<9}{'':1}{'what':<{width}}  {'status':<25}hints"]
    for row in rows:
        what = f"{row['function']} — {row['title']}"
        lines.append(f"{_mark(row['status'])} {row['exercise']:<9} {what:<{width}}  {row['status']:<25}{row['hints']}")
    lines.append(f"{done} of {len(rows)} exercises passed.")
    return ProgressTable(rows, "\n".join(lines))


def reset(exercise_id: str, whole_file: bool = False) -> Shown:
    """Put the exercise's function back to its stub.  The file as it was is copied to .course/backups/ first.

    Only that function changes; the rest of the file (other exercises) is left as it is.  A file that
    does not compile can only be reset whole: `reset("1.1", whole_file=True)`.
    """
    ex = find(exercise_id)
    if answers_kind() in ("solutions", "stubs"):
        raise ValueError(
            f"COURSE_ANSWERS={answers_kind()}: reset() only rewrites a learner's exercise file, "
            f"never the reference solutions or the pristine stubs"
        )
    target = answers_dir() / f"{ex.module}.py"
    stub = stub_module(ex.module)
    backup = None
    if target.exists():
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        backup = ROOT / ".course" / "backups" / f"{ex.module}.{stamp}.py"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
    if not target.exists() or whole_file:
        new_text = stub
    else:
        new_text = target.read_text(encoding="utf-8")
        try:
            for name in ex.functions:
                new_text = replace_function(new_text, name, function_source(stub, name) or "")
        except SyntaxError as exc:
            raise ValueError(
                f"{display_path(target)} does not compile (line {exc.lineno}), so {ex.function} cannot be "
                f'found in it. reset("{ex.id}", whole_file=True) restores the whole file '
                f"(your version is kept in {display_path(backup)})."
            ) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(new_text, encoding="utf-8")
    _progress.update(ex.id, status="reset", last="reset", hints=0)
    saved = f"; your version is in {display_path(backup)}" if backup else ""
    text = (
        f"{ex.id} {ex.function} is a stub again in {display_path(target)}{saved}.\n"
        f"If {display_path(target)} is open in an editor tab, reload it before you type there "
        f"(JupyterLab: File > Reload from Disk): saving the old tab would write your old code back."
    )
    return Shown(text, path=target, backup=backup)
