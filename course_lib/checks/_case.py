"""What a check is made of: named cases, each one scenario of 10-25 lines that raises `Failure` when the
answer is wrong and may return a phrase for the ✓ line.

    @case("1.1")
    def opens_nothing_before_the_first_next(file_chunks, ctx) -> str | None:
        ...
        raise Failure("calling file_chunks opened the file at once ...", expected=..., got=..., next=...)

Cases run in the order they are written; the first failure ends the check.  The ✓ line joins the phrases
the cases returned, with "; ".  A case may leave what it measured in `ctx.found` for a later case's phrase.
This module imports nothing else of the course: the checks import it, the runner reads CASES.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

__all__ = ["CASES", "Case", "Failure", "case"]


class Failure(Exception):
    """Raised by a case: `problem` is one sentence; the rest is optional."""

    def __init__(self, problem: str, expected: str = "", got: str = "", next: str = "") -> None:
        super().__init__(problem)
        self.problem, self.expected, self.got, self.next = problem, expected, got, next


@dataclasses.dataclass(frozen=True)
class Case:
    exercise_id: str
    name: str
    run: Callable[[Any, Any], str | None]


CASES: dict[str, list[Case]] = {}


def case(exercise_id: str) -> Callable[[Callable[[Any, Any], str | None]], Callable[[Any, Any], str | None]]:
    """Add the decorated function as the next case of exercise `exercise_id`."""

    def add(run: Callable[[Any, Any], str | None]) -> Callable[[Any, Any], str | None]:
        cases = CASES.setdefault(exercise_id, [])
        if any(c.name == run.__name__ for c in cases):
            raise ValueError(f"exercise {exercise_id} has two cases named {run.__name__}")
        cases.append(Case(exercise_id, run.__name__, run))
        return run

    return add
