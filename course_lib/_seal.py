"""Evidence that code outside the checks changed them: a seal over the check machinery, broken by any patch.

The checks run in the learner's process (they measure laziness and memory there), so an exercise module could
replace a function of a check, an exercise's cases, or a method of the HTTP client and server the checks use.
_vetting.py refuses the known ways to reach them; this notices what gets through.  The seal holds the identity
(`id`) of every function and class named in the watched modules, of every method in their classes, and of every
exercise's cases.  It is taken when course_lib is imported, before any learner code has run, and compared after
every check: a name bound to another object breaks it.  Names that appear later, or are no longer found where
they were (anyio renames its classes' modules as it loads), are left out: a patch replaces, it does not hide.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

__all__ = ["BROKEN", "Seal"]

BROKEN = "code outside the checks changed them"  # in check()'s message; the grader zeroes a submission that shows it

#: The check machinery and what it talks through: the learner's app is served by uvicorn and starlette (FastAPI)
#: and reached with httpx.
WATCHED = ("course_lib", "httpx", "httpcore", "h11", "starlette", "fastapi", "uvicorn", "anyio")
_KINDS = (staticmethod, classmethod, property)  # and every callable: what a patch replaces to change behaviour


def _watched(value: Any) -> bool:
    return callable(value) or isinstance(value, _KINDS)


def _fingerprint() -> dict[str, int]:
    found: dict[str, int] = {}
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in WATCHED:
            continue
        for attribute, value in list(vars(module).items()):
            if not _watched(value) or attribute.startswith("__"):
                continue
            found[f"{name}.{attribute}"] = id(value)
            if isinstance(value, type) and value.__module__ == name:
                for member, inner in list(vars(value).items()):
                    if _watched(inner) and member not in ("__dict__", "__weakref__"):
                        found[f"{name}.{attribute}.{member}"] = id(inner)
    from .checks._case import CASES

    for exercise_id, cases in list(CASES.items()):
        found[f"cases of {exercise_id}"] = hash(tuple((id(case), id(case.run)) for case in cases))
    return found


class Seal:
    def __init__(self) -> None:
        importlib.import_module(f"{__package__}.checks")  # every case, registered before any learner code runs
        self._taken = _fingerprint()

    def broken(self) -> list[str]:
        """The names bound to another object since the seal was taken; [] when it holds."""
        now = _fingerprint()
        return sorted(name for name, identity in self._taken.items() if now.get(name, identity) != identity)
