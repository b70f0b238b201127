"""How the course behaves inside a Jupyter kernel, and nowhere else.

Two things, both installed when `course_lib` is imported under IPython (a Jupyter kernel):

- **A failed check does not stop Run All.**  `check()` raises `CheckFailed` as everywhere, so the cell shows
  the failure as an error and nbval (and the grader, which runs nbval) counts it.  But a frontend's Run All
  sends every cell with `stop_on_error`, and the kernel aborts every queued cell after an execute reply of
  status "error" (ipykernel/kernelbase.py, `_abort_queues`).  A `post_run_cell` callback runs after the
  error has been shown and before ipykernel words the reply from `result.success` (ipykernel/ipkernel.py,
  `do_execute`), so clearing `error_in_exec` for a CheckFailed lets the rest of the notebook run.  Every
  other exception still stops Run All, as the learner expects.
- **A pass looks like a pass**: the ✓ line of a passing check is shown in a green box (HTML, with the same
  plain text for every other frontend), as visible as the pink box of a failure.
"""

from __future__ import annotations

import html
from typing import Any


def ipython_shell() -> Any | None:
    """The running IPython shell (a Jupyter kernel's, or IPython's at a terminal), or None (plain Python)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _keep_running_after_failed_check(result: Any) -> None:
    from ._checks import CheckFailed

    if result is not None and isinstance(result.error_in_exec, CheckFailed):
        result.error_in_exec = None


def install(shell: Any) -> None:
    """Register the callback once per kernel (importing course_lib again must not add a second)."""
    callbacks = shell.events.callbacks["post_run_cell"]
    if not any(getattr(c, "__name__", "") == _keep_running_after_failed_check.__name__ for c in callbacks):
        shell.events.register("post_run_cell", _keep_running_after_failed_check)


class Passed:
    """A passing check's ✓ line: green in a notebook, the plain line everywhere else."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        style = (
            "background:#e6f4ea;color:#0d5524;padding:4px 8px;margin:0;"
            "white-space:pre-wrap;word-break:normal;overflow-wrap:break-word"
        )
        return f'<pre class="course-check-passed" style="{style}">{html.escape(self.text)}</pre>'



def show_passed(text: str) -> None:
    if ipython_shell() is None:
        print(text)
        return
    from IPython.display import display

    display(Passed(text))
