"""Where the answers come from, and loading them fresh after every edit.

`COURSE_ANSWERS` picks the folder the whole course loads its exercise modules from:

- unset or `exercises`: the learner's answers in `exercises/` (the default);
- `solutions`: the reference answers in `solutions/` (instructors, the test suite);
- `stubs`: the stubs a new learner starts from, made from `solutions/` (`stub_module`) into `.course/stubs/`;
- any other value: a path to a folder of exercise modules (a submission being graded).
"""

from __future__ import annotations

import functools
import importlib.util
import linecache
import os
import sys
import threading
import traceback
import types
from pathlib import Path

from ._source import stub_of
from .registry import exercises

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
STUBS = ROOT / ".course" / "stubs"

_KNOWN = {
    "exercises": ROOT / "exercises",
    "solutions": SOLUTIONS,
    "stubs": STUBS,
}

_cache: dict[Path, tuple[tuple[int, int], types.ModuleType]] = {}
_lock = threading.Lock()


def answers_kind() -> str:
    """'exercises', 'solutions', 'stubs', or 'path' for a folder named by path."""
    value = os.environ.get("COURSE_ANSWERS", "").strip() or "exercises"
    return value if value in _KNOWN else "path"


def answers_dir() -> Path:
    value = os.environ.get("COURSE_ANSWERS", "").strip() or "exercises"
    if value == "stubs":
        write_stubs()
    return _KNOWN.get(value) or Path(value).expanduser().resolve()


def stub_module(stem: str) -> str:
    """The exercise file `exercises/<stem>.py` as a new learner gets it: solutions/<stem>.py with every
    answer's body replaced by its TODO and `raise NotImplementedError` (the one source of the stubs)."""
    stat = (SOLUTIONS / f"{stem}.py").stat()
    return _stub_text(stem, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _stub_text(stem: str, mtime_ns: int, size: int) -> str:
    """stub_module's work, done again only when the solution file changes (mtime and size are the key)."""
    names = [name for ex in exercises().values() if ex.module == stem for name in ex.functions]
    return stub_of((SOLUTIONS / f"{stem}.py").read_text(encoding="utf-8"), names)


def write_exercise_stubs() -> None:
    """For course authors (`make stubs`): write exercises/ again from solutions/, as a new learner gets it."""
    for stem in sorted({ex.module for ex in exercises().values()}):
        (ROOT / "exercises" / f"{stem}.py").write_text(stub_module(stem), encoding="utf-8")


_written: dict[str, str] = {}  # stem -> the stub text last found or put in .course/stubs/


def write_stubs() -> None:
    """Bring .course/stubs/ up to date with solutions/ (COURSE_ANSWERS=stubs loads from there)."""
    STUBS.mkdir(parents=True, exist_ok=True)
    for stem in sorted({ex.module for ex in exercises().values()}):
        text = stub_module(stem)
        target = STUBS / f"{stem}.py"
        if _written.get(stem) == text and target.exists():
            continue  # answers_dir() calls this for every lookup: no file is read again while nothing changed
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(text, encoding="utf-8")
            partial.replace(target)
        _written[stem] = text


def display_path(path: Path | str) -> str:
    """A path as a learner would type it: relative to the course folder where possible."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def learner_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of `exc`'s traceback that lies in the answers folder."""
    folder = str(answers_dir())
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename).startswith(folder + os.sep):
            found = frame
    return found


class AnswerFileMissing(FileNotFoundError):
    """The exercise module itself is not there (not: the module's own code could not find a file)."""


def load_module(stem: str) -> types.ModuleType:
    """Import `<answers dir>/<stem>.py`, again whenever the file changed since the last import.

    Raises AnswerFileMissing for a missing module and SyntaxError for one that does not compile; whatever
    else the module raises while it runs (a FileNotFoundError of its own included) comes out as it is.
    """
    path = answers_dir() / f"{stem}.py"
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise AnswerFileMissing(exc.errno, exc.strerror, str(path)) from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    # Learner code runs here, and may block (a module-level sleep, a read that never returns): no lock is held
    # while it runs, so an import abandoned at a check's time limit cannot hold up any later check.
    linecache.checkcache(str(path))
    name = f"course_answers.{path.parent.name}.{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        if sys.modules.get(name) is module:
            del sys.modules[name]
        raise
    with _lock:
        _cache[path] = (stamp, module)
    return module


class Answers:
    """The learner's module for one chapter, always as it is on disk right now.

    `ex = answers("ch01_chunk_generators")` then `ex.file_chunks(...)`: each attribute access looks at
    the file again, so an edit in `exercises/` is used by the next cell without restarting the kernel.
    """

    def __init__(self, stem: str) -> None:
        self._stem = stem

    def __getattr__(self, name: str):
        return getattr(load_module(self._stem), name)

    def __dir__(self):
        return dir(load_module(self._stem))

    def __repr__(self) -> str:
        return f"<answers from {display_path(answers_dir() / (self._stem + '.py'))}>"


def answers(stem: str) -> Answers:
    return Answers(stem)
