"""The course's exercises, read from `course.toml` at the top of the course: id, title, the file and the
function(s) the learner writes, hints.  It imports nothing else of the course, so anything may use it."""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from pathlib import Path

__all__ = ["Exercise", "MANIFEST", "exercises", "exercise_ids", "find"]

MANIFEST = Path(__file__).resolve().parent.parent / "course.toml"


@dataclasses.dataclass(frozen=True)
class Exercise:
    id: str
    module: str  # the file stem in exercises/ and solutions/
    functions: tuple[str, ...]  # what the learner writes; the check calls the first
    title: str
    hints: tuple[str, ...]

    @property
    def function(self) -> str:
        """The function the check calls (the exercise's name in messages)."""
        return self.functions[0]

    @property
    def chapter(self) -> str:
        return self.id.split(".")[0].zfill(2)

    @property
    def learner_file(self) -> str:
        return f"exercises/{self.module}.py"


def id_key(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in exercise_id.split("."))


@functools.cache
def exercises() -> dict[str, Exercise]:
    """Every exercise by id, in course order."""
    with MANIFEST.open("rb") as f:
        entries = tomllib.load(f)["exercise"]
    found = {}
    for entry in entries:
        ex = Exercise(
            id=entry["id"],
            module=entry["module"],
            functions=tuple(entry["functions"]),
            title=entry["title"],
            hints=tuple(hint.strip("\n") for hint in entry["hints"]),
        )
        if ex.id in found:
            raise ValueError(f"{MANIFEST.name}: exercise {ex.id} is listed twice")
        found[ex.id] = ex
    return dict(sorted(found.items(), key=lambda item: id_key(item[0])))


def exercise_ids() -> list[str]:
    return list(exercises())


def find(exercise_id: str | float) -> Exercise:
    """The exercise `exercise_id` ("1.1"), or ValueError naming the ones there are."""
    found = exercises().get(str(exercise_id))
    if found is None:
        raise ValueError(f"there is no exercise {exercise_id!r}; the exercises are {', '.join(exercises())}")
    return found
