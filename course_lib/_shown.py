"""What the learner's helpers return: values whose display *is* the text, so a call shows it exactly once.

`hint("1.1")` alone in a notebook cell, at the Python prompt, or printed by `python -m course_lib hint 1.1`
shows the same plain text, never a quoted string full of `\\n` and never the text twice.  The values stay
usable from code: `Shown` is a `str`, `ProgressTable` a list of row dicts.
"""

from __future__ import annotations

from typing import Any


class Shown(str):
    """A message: a `str` whose repr is the message itself.  Extra facts ride along as attributes."""

    def __new__(cls, text: str, **facts: Any) -> "Shown":
        shown = super().__new__(cls, text)
        shown.__dict__.update(facts)
        return shown

    def __repr__(self) -> str:
        return str.__str__(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text/plain display
        printer.text(str.__str__(self))


class ProgressTable(list):
    """progress()'s rows (one dict per exercise) that display as the table."""

    def __init__(self, rows: list[dict[str, str]], text: str) -> None:
        super().__init__(rows)
        self.text = text

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text)
