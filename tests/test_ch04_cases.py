"""Chapter 4, exercises 4.1-4.3: what cannot be an answer file in tests/answers/ch04/ -- right answers written
another way whose ✓ line is checked, and wrong ones whose check must also end in time or leave the garbage
collector running."""

import ast
import gc
import time

import pytest

from course_lib import CheckFailed, check
from course_lib import _checks
from conftest import ROOT, write_module

STEM = "ch04_gotchas"
GOOD = (ROOT / "solutions" / f"{STEM}.py").read_text()


def learner_module(folder, name, new_def):
    """The solutions module with the function `name` replaced by `new_def`, written where the check loads
    answers from (so errors are reported with their line, and 4.2 finds its client half beside it)."""
    node = next(n for n in ast.parse(GOOD).body if getattr(n, "name", None) == name)
    lines = GOOD.splitlines(keepends=True)
    write_module(folder, STEM, "".join(lines[: node.lineno - 1]) + new_def + "".join(lines[node.end_lineno :]))


# -- 4.1 sensor_report ---------------------------------------------------------------------------------

REPORT = (
    "def sensor_report(\n"
    "    count: int = Query(20, ge=1, le=10_000),\n"
    "    sensor: Sensor = Depends(open_sensor),\n"
    ") -> StreamingResponse:\n"
)


def test_report_reading_through_run_in_threadpool_passes_too(learner_dir, capsys):
    learner_module(learner_dir, "sensor_report", REPORT + (
        "    async def rows():\n"
        "        yield 'n,celsius\\n'\n"
        "        for n in range(count):\n"
        "            celsius = await run_in_threadpool(sensor.read, n)\n"
        "            yield f'{n},{celsius:.1f}\\n'\n"
        "    return StreamingResponse(rows(), media_type='text/csv')\n"
    ))  # fmt: skip
    check("4.1")
    assert capsys.readouterr().out.startswith(
        "✓ 4.1 sensor_report: 20 rows of CSV, each sent as soon as it was read; /ping kept answering"
    )


def test_report_that_never_ends_becomes_a_timeout(learner_dir, monkeypatch):
    monkeypatch.setattr(_checks, "TIME_LIMIT", 3.0)
    learner_module(learner_dir, "sensor_report", REPORT + (
        "    def rows():\n"
        "        yield 'n,celsius\\n'\n"
        "        n = 0\n"
        "        while True:\n"
        "            yield f'{n},{sensor.read(n):.1f}\\n'\n"
        "            n += 1\n"
        "    return StreamingResponse(rows(), media_type='text/csv')\n"
    ))  # fmt: skip
    started = time.monotonic()
    with pytest.raises(CheckFailed) as info:
        check("4.1")
    message = str(info.value)
    assert message.splitlines()[0] == "✗ 4.1 sensor_report did not finish within 3 s."
    assert time.monotonic() - started < 10


# -- 4.3 follow_ticks ----------------------------------------------------------------------------------

FOLLOW = "def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:\n"


def test_ticks_in_a_plain_generator_close_only_at_garbage_collection(learner_dir):
    learner_module(learner_dir, "follow_ticks", FOLLOW + (
        "    def lines():\n"
        "        cursor = store.open_cursor()\n"
        "        try:\n"
        "            while True:\n"
        "                for tick in cursor.fetch():\n"
        "                    yield f'{tick.seq},{tick.price_cents}\\n'\n"
        "        finally:\n"
        "            cursor.close()\n"
        "    return StreamingResponse(lines(), media_type='text/plain')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.3")
    message = str(info.value)
    assert message.splitlines()[:2] == [
        "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, its cursor stayed open until the "
        "garbage collector ran.",
        "  expected: the cursor closed within 1 s of the disconnect",
    ]
    assert gc.isenabled()


def test_ticks_in_an_async_generator_that_never_awaits_stop_the_server(learner_dir):
    learner_module(learner_dir, "follow_ticks", FOLLOW + (
        "    async def lines():\n"
        "        cursor = store.open_cursor()\n"
        "        try:\n"
        "            while True:\n"
        "                for tick in cursor.fetch():\n"
        "                    yield f'{tick.seq},{tick.price_cents}\\n'\n"
        "        finally:\n"
        "            cursor.close()\n"
        "    return StreamingResponse(lines(), media_type='text/plain')\n"
    ))  # fmt: skip
    started = time.monotonic()
    with pytest.raises(CheckFailed) as info:
        check("4.3")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, the server stopped answering "
        "(GET /ping timed out) and the cursor stayed open."
    )
    assert time.monotonic() - started < 9


# Other production fixes pass as well: the check counts cursors, whatever the generator looks like.


def test_ticks_with_the_cursor_in_a_dependency_with_yield_pass(learner_dir, capsys):
    learner_module(learner_dir, "follow_ticks", (
        "def open_tick_cursor(store: TickStore = Depends(tick_store)):\n"
        "    cursor = store.open_cursor()\n"
        "    try:\n"
        "        yield cursor\n"
        "    finally:\n"
        "        cursor.close()  # FastAPI runs this once the response has ended, a disconnect included\n"
        "\n"
        "\n"
        "def follow_ticks(cursor: TickCursor = Depends(open_tick_cursor)) -> StreamingResponse:\n"
        "    def lines():\n"
        "        while True:\n"
        "            for tick in cursor.fetch():\n"
        "                yield f'{tick.seq},{tick.price_cents}\\n'\n"
        "    return StreamingResponse(lines(), media_type='text/plain')\n"
    ))  # fmt: skip
    check("4.3")
    assert capsys.readouterr().out.startswith(
        "✓ 4.3 follow_ticks: ticks streamed, one cursor per request; each disconnect"
    )


def test_ticks_from_a_plain_generator_closed_by_an_async_wrapper_pass(learner_dir, capsys):
    learner_module(learner_dir, "follow_ticks", FOLLOW + (
        "    from starlette.concurrency import iterate_in_threadpool\n"
        "    def lines():\n"
        "        cursor = store.open_cursor()\n"
        "        try:\n"
        "            while True:\n"
        "                for tick in cursor.fetch():\n"
        "                    yield f'{tick.seq},{tick.price_cents}\\n'\n"
        "        finally:\n"
        "            cursor.close()\n"
        "    async def closing(gen):\n"
        "        try:\n"
        "            async for line in iterate_in_threadpool(gen):\n"
        "                yield line\n"
        "        finally:\n"
        "            gen.close()  # runs the plain generator's finally now, not at garbage collection\n"
        "    return StreamingResponse(closing(lines()), media_type='text/plain')\n"
    ))  # fmt: skip
    check("4.3")
    assert capsys.readouterr().out.startswith(
        "✓ 4.3 follow_ticks: ticks streamed, one cursor per request; each disconnect"
    )
