"""Running an exercise's checks and telling the learner, in a few plain lines, what happened.

An exercise (listed in `course.toml`, read by `registry`) is checked by its cases, `@case("1.1")` functions
in `course_lib/checks/` (see checks/_case.py).  Each receives the learner's answer and a `Context` and raises
`Failure(...)` when the answer is wrong.  `check()` runs them in order in a worker thread with a time limit
and turns every way that can end into one message:

    passed                    -> prints "✓ 1.1 ...", returns True
    Failure                   -> raises CheckFailed: what was expected, what came back, what to try
    NotImplementedError (stub)-> raises CheckFailed: "not written yet: edit exercises/..."
    learner code raised       -> raises CheckFailed: its type, message and line in the exercise file
    time limit                -> raises CheckFailed: "did not finish within 10 s"
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any, Callable

from . import _progress, registry
from ._answers import AnswerFileMissing, answers_dir, display_path, learner_frame, load_module
from ._notebook import show_passed
from ._seal import BROKEN, Seal
from ._server import LiveServer, ServerStopped, _raise_in_thread
from ._source import function_source
from ._vetting import vet
from .checks._case import CASES, Failure
from .registry import Exercise

__all__ = ["CheckFailed", "Context", "check"]

TIME_LIMIT = float(os.environ.get("COURSE_CHECK_TIMEOUT", "10"))
_seal: Seal | None = None


def seal_checks() -> None:
    """Take the seal over the check machinery (see _seal.py) once, before any learner code has run."""
    global _seal
    if _seal is None:
        _seal = Seal()


class CheckFailed(AssertionError):
    """An exercise's check did not pass.  Its message is all the learner needs to read."""

    def __init__(self, message: str, exercise_id: str = "", kind: str = "failed", case: str = "",
                 site: str = "") -> None:  # fmt: skip
        super().__init__(message)
        self.message = message
        self.exercise_id = exercise_id
        self.kind = kind  # failed | stub | raised | timeout | missing
        self.case = case  # the case that was running when the check ended (its function's name)
        self.site = site  # for a Failure: "path:line" of its `raise` in course_lib/checks

    def __str__(self) -> str:
        return self.message

    def _render_traceback_(self) -> list[str]:
        """How IPython/Jupyter shows it: the message alone, not a traceback into course_lib."""
        red, plain = ("\x1b[31m", "\x1b[0m") if self.kind != "stub" else ("", "")
        first, *rest = self.message.splitlines()
        return [f"{red}{first}{plain}", *rest]


class Context:
    """What a check may use beside the answer: servers that are stopped when the check ends."""

    def __init__(self, exercise: Exercise, functions: dict[str, Any] | None = None) -> None:
        self.exercise = exercise
        self.servers: list[LiveServer] = []
        self.found: dict[str, Any] = {}  # what one case measured, for a later case's phrase
        self.case = ""  # the case running now
        self._functions = functions or {}
        self._folder: Path | None = None

    @property
    def folder(self) -> Path:
        """A scratch folder for this check's files, removed when the check ends."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="course-check-"))
        return self._folder

    def answer(self, name: str) -> Any:
        """Another function the exercise has the learner write (course.toml `functions`), as answered."""
        if name not in self._functions:
            self._functions[name] = _get_answer(self.exercise, name)
        return self._functions[name]

    def serve(self, app: Any) -> LiveServer:
        server = LiveServer(app, name=f"check {self.exercise.id}").start()
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def server_errors(self) -> list[BaseException]:
        return [error for server in self.servers for error in server.errors]


# -- finding the learner's part of a traceback --------------------------------------------------------


def _is_stub(exc: BaseException) -> bool:
    return isinstance(exc, NotImplementedError) and learner_frame(exc) is not None


def _where(frame: traceback.FrameSummary) -> str:
    line = (frame.line or "").strip()
    return f"{display_path(frame.filename)}, line {frame.lineno}" + (f": {line}" if line else "")


# -- rendering ------------------------------------------------------------------------------------------


def _header(ex: Exercise) -> str:
    return f"{ex.id} {ex.function}"


def _failure_message(ex: Exercise, failure: Failure) -> str:
    lines = [f"✗ {_header(ex)}: {failure.problem}"]
    if failure.expected:
        lines.append(f"  expected: {failure.expected}")
    if failure.got:
        lines.append(f"  got:      {failure.got}")
    advice = f"{failure.next}; " if failure.next else ""
    lines.append(f'  next: {advice}hint("{ex.id}") gives a hint')
    return "\n".join(lines)


def _tampered_message(ex: Exercise, changed: list[str]) -> str:
    shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return (f"✗ {_header(ex)}: {BROKEN} ({shown}), so no check can be trusted in this kernel\n"
            f"  next: take out what patches them in {ex.learner_file}, then restart the kernel")


def _stub_message(ex: Exercise) -> str:
    return f"… {_header(ex)} is not written yet: edit {ex.learner_file}"


def _raised_message(ex: Exercise, exc: BaseException, where: str = "") -> str:
    frame = learner_frame(exc)
    lines = [f"✗ {_header(ex)} raised {type(exc).__name__}{where}: {exc}".rstrip(": ")]
    if frame is not None:
        lines.append(f"  at {_where(frame)}")
    lines.append(f'  next: fix that line and run the check again; hint("{ex.id}") gives a hint')
    return "\n".join(lines)


# -- running --------------------------------------------------------------------------------------------


class _TimeUp(BaseException):
    """Raised inside a check's thread once its time is up, to stop a runaway Python loop."""


def _quiet_course_stops(args: Any, _previous: Callable[[Any], None] = threading.excepthook) -> None:
    """A thread the course stopped on purpose ends without a traceback on the learner's screen."""
    if not isinstance(args.exc_value, (_TimeUp, ServerStopped)):
        _previous(args)


threading.excepthook = _quiet_course_stops


def _interrupt(thread: threading.Thread) -> None:
    _raise_in_thread(thread, _TimeUp)


def _run_with_limit(function: Callable[[], str], limit: float) -> tuple[str, Any]:
    """('ok', result) | ('error', exception) | ('timeout', None), never waiting much past `limit`."""
    outcome: list[tuple[str, Any]] = []

    def target() -> None:
        try:
            outcome.append(("ok", function()))
        except _TimeUp:
            outcome.append(("timeout", None))
        except BaseException as exc:  # noqa: BLE001 - every way a check ends is reported
            outcome.append(("error", exc))

    thread = threading.Thread(target=target, name="course-check", daemon=True)
    thread.start()
    try:
        thread.join(limit)
    except KeyboardInterrupt:  # the learner pressed stop: end the check's thread too
        _interrupt(thread)
        raise
    if thread.is_alive():
        _interrupt(thread)
        thread.join(0.5)
        return ("timeout", None)
    return outcome[0] if outcome else ("timeout", None)


def _runs_learner_code(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident or -1)
    folder = str(answers_dir()) + os.sep
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename).startswith(folder):
            return True
        frame = frame.f_back
    return False


def _stop_learner_threads(before: set[threading.Thread]) -> None:
    """A thread that the learner's code started during a check and that still runs it afterwards (a poller, a
    busy loop) would slow every later check: it ends with the check, the way a check past its limit does."""
    started = [t for t in threading.enumerate() if t not in before and t.is_alive() and _runs_learner_code(t)]
    for thread in started:
        _raise_in_thread(thread, _TimeUp)
    for thread in started:
        thread.join(0.5)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=32)
def _vetted(path: Path, mtime_ns: int, size: int) -> list:
    """vet() of the file as it is (read and parsed again only after an edit, not at every check)."""
    return vet(path.read_text(encoding="utf-8", errors="replace"))


def _refuse_what_the_grader_refuses(ex: Exercise) -> None:
    """The grader does not run a module that could reach into the checks (_vetting.py); say so here first."""
    if os.environ.get("COURSE_VETTING") == "off":  # the grader's --no-vetting: an instructor has read the code
        return
    path = answers_dir() / (ex.module + ".py")
    found = _vetted(path, *_stamp(path)) if path.is_file() else []
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise CheckFailed(
            f"✗ {_header(ex)}: the grader would refuse {display_path(path)} before running it: {found[0]}{more}.\n"
            f"  expected: an answer that neither reaches into the course's code nor changes what it imports\n"
            f"  next: remove that; no answer needs it (the README's \"What the grader guarantees\" says why)",
            ex.id,
            "refused",
        )


def _get_answer(ex: Exercise, name: str = "") -> Any:
    """The function `name` (by default the exercise's first) from the learner's module, or CheckFailed."""
    name = name or ex.function
    _refuse_what_the_grader_refuses(ex)
    try:
        module = load_module(ex.module)
    except AnswerFileMissing:
        raise CheckFailed(
            f"✗ {_header(ex)}: {display_path(answers_dir() / (ex.module + '.py'))} is missing.\n"
            f'  next: reset("{ex.id}") brings back the exercise file',
            ex.id,
            "missing",
        ) from None
    except SyntaxError as exc:
        raise CheckFailed(
            f"✗ {_header(ex)}: {display_path(exc.filename or ex.learner_file)} does not compile: "
            f"{exc.msg} (line {exc.lineno}).\n  next: fix that line; nothing else can run until it compiles",
            ex.id,
            "raised",
        ) from None
    except BaseException as exc:  # noqa: BLE001 - an import-time error is the learner's to see
        raise CheckFailed(_raised_message(ex, exc, " while the exercise file was imported"), ex.id, "raised") from None
    answer = getattr(module, name, None)
    if answer is None:
        raise CheckFailed(
            f"✗ {_header(ex)}: {display_path(module.__file__ or '')} has no `{name}`.\n"
            f"  next: keep the function's name and signature as the exercise gives them",
            ex.id,
            "missing",
        )
    return answer


def _failure_site(failure: Failure) -> str:
    """Where in course_lib/checks the failure was raised, as "course_lib/checks/ch01.py:212"."""
    folder = os.path.dirname(os.path.abspath(__file__)) + os.sep + "checks" + os.sep
    site = ""
    for frame in traceback.extract_tb(failure.__traceback__):
        if os.path.abspath(frame.filename).startswith(folder):
            site = f"{display_path(frame.filename)}:{frame.lineno}"
    return site


def _verdict(ex: Exercise, kind: str, value: Any, ctx: Context) -> CheckFailed | str:
    """Turn how the check ended into the ✓ line or the CheckFailed to raise."""
    # An exception inside the learner's endpoint is the real story behind most client-side failures.
    server_error = next((e for e in ctx.server_errors if learner_frame(e) is not None), None)
    if kind == "ok":
        return f"✓ {_header(ex)}: {value}"
    if kind == "timeout":
        return CheckFailed(
            f"✗ {_header(ex)} did not finish within {TIME_LIMIT:g} s.\n"
            f"  expected: the answer to finish (or a stream to end) well within the limit\n"
            f'  next: look for a loop that never ends or a read that waits forever; hint("{ex.id}") gives a hint',
            ex.id,
            "timeout",
            ctx.case,
        )
    exc: BaseException = value
    if isinstance(exc, CheckFailed):  # raised while loading the answer: already worded
        return exc
    if _is_stub(exc) or (server_error is not None and _is_stub(server_error)):
        return CheckFailed(_stub_message(ex), ex.id, "stub", ctx.case)
    if isinstance(exc, Failure):
        if server_error is not None:
            message = _raised_message(ex, server_error, " while serving the request")
            return CheckFailed(message, ex.id, "raised", ctx.case)
        return CheckFailed(_failure_message(ex, exc), ex.id, "failed", ctx.case, _failure_site(exc))
    if learner_frame(exc) is not None:
        return CheckFailed(_raised_message(ex, exc), ex.id, "raised", ctx.case)
    if server_error is not None:
        return CheckFailed(_raised_message(ex, server_error, " while serving the request"), ex.id, "raised", ctx.case)
    # Not the learner's code: a fault in the check itself.  Show everything; it is ours to fix.
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    message = f"✗ {_header(ex)}: the check itself failed (please report this):\n{detail}"
    return CheckFailed(message, ex.id, "error", ctx.case)


def cases_of(ex: Exercise) -> list:
    """The exercise's cases, in order; importing course_lib.checks registers every chapter's."""
    importlib.import_module(f"{__package__}.checks")
    cases = CASES.get(ex.id)
    if not cases:
        raise LookupError(f"exercise {ex.id} has no cases in course_lib/checks")
    return cases


def _run_cases(ex: Exercise, answer: Any, ctx: Context) -> str:
    """Every case in order; the first Failure ends the run.  The ✓ phrase: the cases' phrases joined."""
    phrases = []
    for each in cases_of(ex):
        ctx.case = each.name
        phrase = each.run(answer, ctx)
        if phrase:
            phrases.append(phrase)
    return "; ".join(phrases)


def check(exercise_id: str, answer: Any = None, *, quiet: bool = False) -> None:
    """Check exercise `exercise_id` ("1.1").  Without `answer`, the function is loaded from the exercise file.

    Prints one ✓ line when the answer passes (and returns None, so a notebook shows nothing more);
    raises CheckFailed otherwise.
    """
    ex = registry.find(exercise_id)
    ctx = Context(ex, {ex.function: answer} if answer is not None else None)

    def run() -> str:
        # Importing the exercise file runs learner code too, so it happens inside the time limit.
        return _run_cases(ex, ctx.answer(ex.function), ctx)

    threads_before = set(threading.enumerate())
    try:
        kind, value = _run_with_limit(run, TIME_LIMIT)
    finally:
        ctx.close()
        _stop_learner_threads(threads_before)
    result = _verdict(ex, kind, value, ctx)
    changed = _seal.broken() if _seal is not None else []
    if changed:
        result = CheckFailed(_tampered_message(ex, changed), ex.id, "tampered", ctx.case)
    if isinstance(result, CheckFailed):
        _progress.record_result(ex.id, "stub" if result.kind in ("stub", "missing") else "failed")
        _report(ex.id, result.kind, result.message)
        raise result.with_traceback(None) from None
    _progress.record_result(ex.id, "passed")
    _report(ex.id, "passed", result)
    if not quiet:
        show_passed(result)


def _report(exercise_id: str, kind: str, message: str) -> None:
    """For the grader: with COURSE_RESULTS set, each verdict is appended there as one JSON line."""
    target = os.environ.get("COURSE_RESULTS")
    if target:
        import json

        with open(target, "a", encoding="utf-8") as f:
            f.write(json.dumps({"id": exercise_id, "kind": kind, "message": message}, ensure_ascii=False) + "\n")


def answer_source(ex: Exercise, folder: Path, name: str = "") -> str | None:
    """The source of `name` (by default the exercise's first function) in `folder/<module>.py`, not imported."""
    try:
        return function_source((folder / f"{ex.module}.py").read_text(encoding="utf-8"), name or ex.function)
    except (OSError, SyntaxError):
        return None
