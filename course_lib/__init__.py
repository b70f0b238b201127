"""course_lib: the machinery behind the "Stream, don't buffer" notebooks.

In a notebook:

    from course_lib import serve, check, hint, solution, progress, reset, answers
    ex = answers("ch01_chunk_generators")   # your exercise file, re-read after every edit
    check("1.1")                            # run exercise 1.1's checks on your answer

In a Jupyter kernel a failed check still raises, but does not stop Run All (see _notebook.py).
"""

from ._answers import answers, answers_dir, answers_kind
from . import _checks
from ._checks import CheckFailed, check
from ._server import LiveServer, serve, stop_all
from ._study import hint, progress, reset, solution

__all__ = [
    "CheckFailed",
    "LiveServer",
    "answers",
    "answers_dir",
    "answers_kind",
    "check",
    "hint",
    "progress",
    "reset",
    "serve",
    "solution",
    "stop_all",
]


def _prepare_kernel() -> None:
    from . import _notebook

    shell = _notebook.ipython_shell()
    if shell is None:
        return
    # Jupyter's kernel already runs an event loop in the main thread, and asyncio.run() refuses to start
    # a second one there; nest_asyncio2 makes the running loop re-entrant so script-style code works.
    import nest_asyncio2

    nest_asyncio2.apply()
    _notebook.install(shell)


_prepare_kernel()
_checks.seal_checks()  # before any learner code runs: check() then notices a patched check (see _seal.py)
