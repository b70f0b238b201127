"""The learner's progress: a small JSON file in the working copy, written atomically.

`COURSE_PROGRESS` names another file (the test suite and the grader use a temporary one).  Checks run
against `solutions/` or the pristine stubs are not the learner's attempts and are not recorded.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import threading
from pathlib import Path
from typing import Any

from ._answers import ROOT, answers_kind

_lock = threading.Lock()
_memory: dict[str, Any] = {"exercises": {}}  # used when nothing may be written (solutions, stubs)


def progress_path() -> Path:
    return Path(os.environ.get("COURSE_PROGRESS") or ROOT / ".course" / "progress.json")


def _recording() -> bool:
    return answers_kind() not in ("solutions", "stubs")


def load() -> dict[str, Any]:
    if not _recording():
        return _memory
    path = progress_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
            raise ValueError("not a progress file")
        return data
    except FileNotFoundError:
        return {"exercises": {}}
    except (OSError, ValueError):
        # A damaged file is kept beside the new one, never silently thrown away.
        path.replace(path.with_name(path.name + ".damaged"))
        return {"exercises": {}}


def _save(data: dict[str, Any]) -> None:
    if not _recording():
        return
    path = progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def entry(exercise_id: str) -> dict[str, Any]:
    with _lock:
        return dict(load()["exercises"].get(exercise_id, {}))


def update(exercise_id: str, **changes: Any) -> dict[str, Any]:
    """Merge `changes` into the exercise's entry; `attempts=+1` style increments use `bump=`."""
    with _lock:
        data = load()
        item = data["exercises"].setdefault(exercise_id, {})
        for key, value in changes.items():
            if key == "bump":
                for name in value:
                    item[name] = int(item.get(name, 0)) + 1
            else:
                item[key] = value
        item["updated"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        _save(data)
        return dict(item)


def record_result(exercise_id: str, status: str) -> None:
    """status: 'passed', 'failed' (a real attempt) or 'stub' (nothing written yet: not an attempt)."""
    if status == "stub":
        with _lock:
            known = exercise_id in load()["exercises"]
        if known:
            update(exercise_id, last="stub")
        return
    previous = entry(exercise_id).get("status")
    status_kept = "passed" if previous == "passed" and status == "failed" else status
    update(exercise_id, status=status_kept, last=status, bump=["attempts"])
