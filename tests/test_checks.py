"""check(): every way a check can end becomes a short message; nothing else leaks out."""

import json
import subprocess
import sys
import time

import pytest

import course_lib
from course_lib import CheckFailed, check, hint, progress, reset, solution
from course_lib import _checks
from course_lib._answers import STUBS, stub_module
from course_lib._source import replace_function
from conftest import ROOT, write_module

STEM = "ch01_chunk_generators"
GOOD = (ROOT / "solutions" / f"{STEM}.py").read_text()
STUB = stub_module(STEM)


def test_check_passes_on_solution_with_one_line(capsys):
    assert check("1.1") is None  # nothing more for a notebook to show under the ✓ line
    out = capsys.readouterr().out
    assert out.startswith("✓ 1.1 file_chunks: 4 chunks: 1 MiB, 1 MiB, 1 MiB, 17 B")
    assert out.count("\n") == 1


def test_check_on_stub_says_not_written(monkeypatch):
    monkeypatch.setenv("COURSE_ANSWERS", "stubs")
    with pytest.raises(CheckFailed) as info:
        check("1.1")
    assert str(info.value) == "… 1.1 file_chunks is not written yet: edit exercises/ch01_chunk_generators.py"


def test_check_failed_is_an_assertion_error():
    assert issubclass(CheckFailed, AssertionError)


def test_wrong_answer_message_says_expected_got_next():
    def file_chunks(path, chunk_size=1024 * 1024):
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk  # no ValueError for chunk_size <= 0

    with pytest.raises(CheckFailed) as info:
        check("1.1", file_chunks)
    message = str(info.value)
    assert message.splitlines() == [
        "✗ 1.1 file_chunks: chunk_size=0 was accepted.",
        "  expected: ValueError",
        "  got:      0 chunks",
        "  next: raise ValueError when chunk_size <= 0: read(0) returns b'' and read(-1) reads everything; "
        'hint("1.1") gives a hint',
    ]


def test_learner_exception_names_type_message_and_line(learner_dir):
    broken = replace_function(
        GOOD,
        "file_chunks",
        "def file_chunks(path, chunk_size=1024 * 1024):\n"
        "    with open(path, 'rb') as f:\n"
        "        yield f.read(chunk_size) + 1\n",
    )
    write_module(learner_dir, STEM, broken)
    with pytest.raises(CheckFailed) as info:
        check("1.1")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("✗ 1.1 file_chunks raised TypeError: can't concat int to bytes")
    line = broken.splitlines().index("        yield f.read(chunk_size) + 1") + 1
    assert lines[1].endswith(f"{STEM}.py, line {line}: yield f.read(chunk_size) + 1")
    assert "Traceback" not in str(info.value)


def test_syntax_error_in_exercise_file_is_reported(learner_dir):
    write_module(learner_dir, STEM, "def file_chunks(path, chunk_size:\n    pass\n")
    with pytest.raises(CheckFailed, match=r"does not compile: .* \(line 1\)"):
        check("1.1")


def test_missing_function_is_reported(learner_dir):
    write_module(learner_dir, STEM, "def file_chunk(path, chunk_size=1):\n    pass\n")
    with pytest.raises(CheckFailed, match="has no `file_chunks`"):
        check("1.1")


def test_hanging_answer_becomes_a_failure_within_the_limit(monkeypatch):
    monkeypatch.setattr(_checks, "TIME_LIMIT", 1.0)

    def file_chunks(path, chunk_size=1024 * 1024):
        while True:  # never returns, never yields
            pass

    started = time.monotonic()
    with pytest.raises(CheckFailed, match="did not finish within 1 s"):
        check("1.1", file_chunks)
    assert time.monotonic() - started < 5
    check("1.1")  # the kernel is still usable: this passes (a failure would raise)


def test_endless_generator_fails_without_waiting_for_the_limit():
    def file_chunks(path, chunk_size=1024 * 1024):
        if chunk_size <= 0:
            raise ValueError
        with open(path, "rb") as f:
            while True:
                yield f.read(chunk_size)  # yields b'' forever at the end of the file

    with pytest.raises(CheckFailed, match="yielded an empty chunk"):
        check("1.1", file_chunks)


def test_edits_are_picked_up_without_restart(learner_dir):
    write_module(learner_dir, STEM, STUB)
    with pytest.raises(CheckFailed, match="not written yet"):
        check("1.1")
    write_module(learner_dir, STEM, GOOD)
    check("1.1", quiet=True)  # passes now (a failure would raise)


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(ValueError, match="there is no exercise '9.9'; the exercises are 1.1"):
        check("9.9")


def test_progress_records_attempts_not_stubs(learner_dir, tmp_path, capsys):
    write_module(learner_dir, STEM, STUB)
    with pytest.raises(CheckFailed):
        check("1.1")
    assert not (tmp_path / "progress.json").exists()  # a stub is not an attempt
    write_module(learner_dir, STEM, GOOD)
    check("1.1")
    data = json.loads((tmp_path / "progress.json").read_text())
    assert data["exercises"]["1.1"]["status"] == "passed"
    assert data["exercises"]["1.1"]["attempts"] == 1
    rows = progress()
    assert rows[0] == {
        "exercise": "1.1",
        "function": "file_chunks",
        "title": "Read a file in chunks",
        "status": "passed",
        "hints": "0/3",
    }


def test_solutions_runs_are_not_recorded(tmp_path):
    check("1.1", quiet=True)
    assert not (tmp_path / "progress.json").exists()


def test_damaged_progress_file_is_kept_aside(learner_dir, tmp_path):
    (tmp_path / "progress.json").write_text("{not json")
    write_module(learner_dir, STEM, GOOD)
    check("1.1", quiet=True)
    assert (tmp_path / "progress.json.damaged").read_text() == "{not json"
    assert json.loads((tmp_path / "progress.json").read_text())["exercises"]["1.1"]["status"] == "passed"


def test_hints_come_one_more_per_call(learner_dir):
    first, second, third, again = (hint("1.1") for _ in range(4))
    assert first.startswith("Hint 1 of 3 for 1.1 file_chunks:")
    assert second.startswith("Hint 2 of 3")
    assert third.startswith("Hint 3 of 3") and "docs.python.org" in third
    assert again == third


def test_solution_waits_for_an_attempt(learner_dir):
    write_module(learner_dir, STEM, STUB)
    assert "opens after you have tried" in solution("1.1")
    with pytest.raises(CheckFailed):
        check("1.1")  # a stub is not an attempt
    assert "opens after you have tried" in solution("1.1")
    broken = replace_function(GOOD, "file_chunks", "def file_chunks(path, chunk_size=1024 * 1024):\n    return []\n")
    write_module(learner_dir, STEM, broken)
    with pytest.raises(CheckFailed):
        check("1.1")
    shown = solution("1.1")
    assert shown.startswith("# Reference answer for 1.1 (solutions/ch01_chunk_generators.py)")
    assert "while chunk := f.read(chunk_size):" in shown


def test_solution_with_give_up_shows_it_at_once(learner_dir):
    assert "while chunk := f.read(chunk_size):" in solution("1.1", give_up=True)


def test_reset_restores_the_stub_and_keeps_a_backup(learner_dir, monkeypatch, tmp_path):
    monkeypatch.setattr("course_lib._study.ROOT", tmp_path)
    mine = GOOD + "\n\ndef helper_of_mine():\n    return 42\n"
    path = write_module(learner_dir, STEM, mine)
    reset("1.1")
    text = path.read_text()
    assert "raise NotImplementedError" in text and "def helper_of_mine" in text
    backups = list((tmp_path / ".course" / "backups").glob(f"{STEM}.*.py"))
    assert [b.read_text() for b in backups] == [mine]


def test_reset_refuses_a_file_that_does_not_compile_unless_whole(learner_dir, monkeypatch, tmp_path):
    monkeypatch.setattr("course_lib._study.ROOT", tmp_path)
    path = write_module(learner_dir, STEM, "def file_chunks(:\n")
    with pytest.raises(ValueError, match="does not compile"):
        reset("1.1")
    reset("1.1", whole_file=True)
    assert path.read_text() == STUB
    backups = list((tmp_path / ".course" / "backups").glob(f"{STEM}.*.py"))
    assert backups and {b.read_text() for b in backups} == {"def file_chunks(:\n"}, "the broken file is kept"


def notebook_imports():
    """(module, name) for every `from course_lib... import name` in the notebooks' code cells."""
    import ast
    import json

    found = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                code = "".join(line for line in cell["source"] if not line.lstrip().startswith(("%", "!")))
                for node in ast.walk(ast.parse(code)):
                    if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "course_lib":
                        found |= {(node.module, alias.name) for alias in node.names}
    return found


def test_notebooks_import_only_public_names():
    """What a notebook imports from course_lib is public: a module without a leading underscore, and a name in
    that module's __all__ (so a rename inside course_lib cannot silently break a lesson)."""
    import importlib

    for module, name in sorted(notebook_imports()):
        assert not any(part.startswith("_") for part in module.split(".")), module
        public = getattr(importlib.import_module(module), "__all__", None)
        assert public is not None, f"{module} has no __all__"
        assert name in public or importlib.util.find_spec(f"{module}.{name}"), f"{module}.{name} is not public"


def test_the_public_surface_is_what_learners_are_shown():
    """course_lib's __all__ is exactly what the notebooks import from it (its modules aside) plus what the
    README documents."""
    import inspect

    readme = (ROOT / "README.md").read_text()
    shown = {name for module, name in notebook_imports() if module == "course_lib" and name in dir(course_lib)}
    shown -= {name for name in shown if inspect.ismodule(getattr(course_lib, name))}
    documented = {name for name in course_lib.__all__ if f"`{name}" in readme}
    assert set(course_lib.__all__) == shown | documented
    assert shown <= set(course_lib.__all__)


def run_cli(*args, env_answers="solutions"):
    import os

    env = dict(os.environ, COURSE_ANSWERS=env_answers, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "course_lib", *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_check_passes_on_solutions():
    result = run_cli("check", "1.1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("✓ 1.1 file_chunks:")


def test_cli_check_fails_on_stubs_with_same_message():
    result = run_cli("check", "1.1", env_answers="stubs")
    assert result.returncode == 1
    assert result.stdout == "… 1.1 file_chunks is not written yet: edit exercises/ch01_chunk_generators.py\n"


# -- a check that serves the learner's endpoint: errors and endless streams --------------------------

ENDPOINT_STEM = "ch00_endpoint"


@pytest.fixture
def endpoint_exercise(monkeypatch, reseal):
    """A throwaway exercise whose answer is an endpoint: the check serves it and downloads /data."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    from course_lib import registry
    from course_lib.checks._case import CASES, Failure, case

    every = registry.exercises()
    extra = registry.Exercise("0.1", ENDPOINT_STEM, ("download",), "An endpoint", ("h", "https://x"))
    monkeypatch.setattr(registry, "exercises", lambda: {**every, "0.1": extra})
    reseal()

    @case("0.1")
    def run(download, ctx):
        server = ctx.serve(Starlette(routes=[Route("/data", download)]))
        with server.client.stream("GET", "/data") as response:
            body = b"".join(response.iter_bytes())
        if body != b"0123456789":
            raise Failure("wrong body.", expected="b'0123456789'", got=repr(body[:20]))
        return "the body arrived"

    yield
    del CASES["0.1"]


def test_exception_inside_learners_endpoint_is_reported_with_its_line(learner_dir, endpoint_exercise):
    write_module(
        learner_dir,
        ENDPOINT_STEM,
        "from starlette.responses import StreamingResponse\n"
        "def download(request):\n"
        "    def body():\n"
        "        yield b'01234'\n"
        "        raise KeyError('missing row')\n"
        "    return StreamingResponse(body())\n",
    )
    with pytest.raises(CheckFailed) as info:
        check("0.1")
    lines = str(info.value).splitlines()
    assert lines[0] == "✗ 0.1 download raised KeyError while serving the request: 'missing row'"
    assert lines[1].endswith(f"{ENDPOINT_STEM}.py, line 5: raise KeyError('missing row')")


def test_endless_stream_from_learners_endpoint_times_out_and_is_stopped(learner_dir, endpoint_exercise, monkeypatch):
    monkeypatch.setattr(_checks, "TIME_LIMIT", 1.0)
    write_module(
        learner_dir,
        ENDPOINT_STEM,
        "import asyncio\n"
        "from starlette.responses import StreamingResponse\n"
        "async def download(request):\n"
        "    async def body():\n"
        "        while True:\n"
        "            yield b'0123456789'\n"
        "            await asyncio.sleep(0.001)\n"
        "    return StreamingResponse(body())\n",
    )
    import threading

    before = set(threading.enumerate())
    with pytest.raises(CheckFailed, match="did not finish within 1 s"):
        check("0.1")

    def started_by_the_check():  # threads that existed before may come and go (idle pool workers)
        return [t.name for t in threading.enumerate() if t not in before and t.is_alive()]

    deadline = time.monotonic() + 15  # idle workers of the stopped loop leave on their own
    while started_by_the_check() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started_by_the_check() == []  # the check's server and thread are gone


def test_exercise_file_that_loops_at_import_times_out(learner_dir, monkeypatch):
    monkeypatch.setattr(_checks, "TIME_LIMIT", 1.0)
    write_module(learner_dir, STEM, GOOD + "\nwhile True:\n    pass\n")
    with pytest.raises(CheckFailed, match="did not finish within 1 s"):
        check("1.1")


def test_exercise_file_that_raises_at_import_is_reported(learner_dir):
    write_module(learner_dir, STEM, GOOD + "\nimport not_a_module_anywhere\n")
    with pytest.raises(CheckFailed, match="raised ModuleNotFoundError while the exercise file was imported"):
        check("1.1")


@pytest.mark.parametrize("kind", ["solutions", "stubs"])
def test_reset_never_touches_solutions_or_the_stubs(kind, monkeypatch):
    monkeypatch.setenv("COURSE_ANSWERS", kind)
    before = (ROOT / "solutions" / f"{STEM}.py").read_text(), STUB
    with pytest.raises(ValueError, match="only rewrites a learner's exercise file"):
        reset("1.1")
    assert ((ROOT / "solutions" / f"{STEM}.py").read_text(), STUB) == before
    assert (STUBS / f"{STEM}.py").read_text() == STUB


def test_a_module_that_blocks_at_import_does_not_hold_up_later_checks(learner_dir, monkeypatch):
    monkeypatch.setattr(_checks, "TIME_LIMIT", 1.5)
    write_module(learner_dir, STEM, GOOD + "\nimport time\ntime.sleep(6)  # a module-level statement that blocks\n")
    with pytest.raises(CheckFailed, match="did not finish within 1.5 s"):
        check("1.1")
    monkeypatch.setenv("COURSE_ANSWERS", "solutions")  # the next check, with the reference answers
    check("1.1", quiet=True)


SPINNER = """
import threading


def _spin():
    while True:  # a poller that never stops, started by the learner's module
        pass


threading.Thread(target=_spin, name="learner-spinner", daemon=True).start()
"""


def test_a_thread_the_learner_started_ends_with_the_check(learner_dir):
    import threading

    write_module(learner_dir, STEM, GOOD + SPINNER)
    check("1.1", quiet=True)
    assert [t.name for t in threading.enumerate() if t.name == "learner-spinner"] == []


def test_a_file_the_module_cannot_find_is_not_a_missing_exercise_file(learner_dir):
    write_module(learner_dir, STEM, GOOD + "\nopen('/nonexistent/answers.py').read()\n")
    with pytest.raises(CheckFailed) as info:
        check("1.1")
    assert str(info.value).startswith(
        "✗ 1.1 file_chunks raised FileNotFoundError while the exercise file was imported"
    ), str(info.value)


def test_a_patched_check_is_noticed_and_named_and_holds_again_once_undone(monkeypatch):
    """_seal.py: what a forger patches (here the client every HTTP check uses) breaks the seal, whatever the answer."""
    import httpx

    with monkeypatch.context() as patched, pytest.raises(CheckFailed) as info:
        patched.setattr(httpx.Client, "send", lambda self, request, **kwargs: httpx.Response(200))
        check("1.1")
    assert str(info.value).startswith("✗ 1.1 file_chunks: code outside the checks changed them (httpx.Client.send), "
                                      "so no check can be trusted in this kernel"), str(info.value)  # fmt: skip
    check("1.1", quiet=True)
