"""Chapter 4, exercises 4.1-4.3: realistic wrong answers fail their check with the message meant for them."""

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
    assert capsys.readouterr().out.startswith("✓ 4.1 sensor_report: 20 rows of CSV, each sent as soon as it was read; /ping kept answering")


def test_report_reading_in_an_async_generator_blocks_the_loop(learner_dir):
    learner_module(learner_dir, "sensor_report", REPORT + (
        "    async def rows():\n"
        "        yield 'n,celsius\\n'\n"
        "        for n in range(count):\n"
        "            yield f'{n},{sensor.read(n):.1f}\\n'\n"
        "    return StreamingResponse(rows(), media_type='text/csv')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.1")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.1 sensor_report: while GET /report?count=20 was streaming, /ping was kept waiting: "
        "the event loop was blocked."
    )
    assert message.splitlines()[1] == "  expected: /ping answered within 500 ms all along (a free loop answers in a few ms)"
    assert message.splitlines()[2].startswith("  got:      /ping latency p50 ")


def test_report_yielding_to_the_loop_between_blocking_reads_still_blocks(learner_dir):
    learner_module(learner_dir, "sensor_report", REPORT + (
        "    async def rows():\n"
        "        yield 'n,celsius\\n'\n"
        "        for n in range(count):\n"
        "            yield f'{n},{sensor.read(n):.1f}\\n'\n"
        "            await asyncio.sleep(0)\n"
        "    import asyncio\n"
        "    return StreamingResponse(rows(), media_type='text/csv')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.1")
    message = str(info.value)
    assert "/ping was kept waiting: the event loop was blocked." in message.splitlines()[0]


def test_report_read_whole_in_a_worker_thread_is_not_streamed(learner_dir):
    learner_module(learner_dir, "sensor_report", REPORT + (
        "    body = 'n,celsius\\n' + ''.join(f'{n},{sensor.read(n):.1f}\\n' for n in range(count))\n"
        "    return Response(body, media_type='text/csv')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.1")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.1 sensor_report: GET /report?count=20: the first row arrived only after all 20 readings had been taken.",
        "  expected: each row sent as soon as its reading is taken",
        "  got:      nothing but the header until 20 of 20 reads were done",
    ]


def test_report_with_a_rounding_slip_shows_the_line(learner_dir):
    learner_module(learner_dir, "sensor_report", REPORT + (
        "    def rows():\n"
        "        yield 'n,celsius\\n'\n"
        "        for n in range(count):\n"
        "            yield f'{n},{sensor.read(n):.0f}\\n'\n"
        "    return StreamingResponse(rows(), media_type='text/csv')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.1")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.1 sensor_report: GET /report?count=20 sent 21 lines; line 2 is not what the sensor read.",
        "  expected: '0,18.0'",
        "  got:      '0,18'",
    ]


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


# -- 4.2 export_audit and read_audit -------------------------------------------------------------------

EXPORT = "def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:\n"


def test_export_failing_inside_the_generator_answers_200_then_breaks(learner_dir):
    learner_module(learner_dir, "export_audit", EXPORT + (
        "    def lines():\n"
        "        sent = 0\n"
        "        try:\n"
        "            for event in audit.events():\n"
        "                yield json.dumps(event) + '\\n'\n"
        "                sent += 1\n"
        "        except Exception:\n"
        "            yield json.dumps({'error': 'export failed', 'after': sent}) + '\\n'\n"
        "            return\n"
        "        yield json.dumps({'end': True, 'count': sent}) + '\\n'\n"
        "    return StreamingResponse(lines(), media_type='application/jsonl')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.2 export_audit: GET /audit.jsonl answered 200 though the log failed before its first event.",
        '  expected: 500, Content-Type: application/json, body {"error": "export failed"}: '
        "nothing had been sent, so the status could still say so",
        '  got:      200 and the body {"error": "export failed", "after": 0}',
    ]


def test_export_without_any_error_handling_breaks_the_stream(learner_dir):
    learner_module(learner_dir, "export_audit", EXPORT + (
        "    def lines():\n"
        "        sent = 0\n"
        "        for event in audit.events():\n"
        "            yield json.dumps(event) + '\\n'\n"
        "            sent += 1\n"
        "        yield json.dumps({'end': True, 'count': sent}) + '\\n'\n"
        "    return StreamingResponse(lines(), media_type='application/jsonl')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.2 export_audit: GET /audit.jsonl answered 200 though the log failed before its first event.",
        '  expected: 500, Content-Type: application/json, body {"error": "export failed"}: '
        "nothing had been sent, so the status could still say so",
        "  got:      200, then the body broke off (RemoteProtocolError) after 0 lines",
    ]


def test_export_sending_the_exception_text_leaks_internals(learner_dir):
    learner_module(learner_dir, "export_audit", EXPORT + (
        "    events = audit.events()\n"
        "    try:\n"
        "        first = next(events, None)\n"
        "    except Exception as exc:\n"
        "        return JSONResponse({'error': str(exc)}, status_code=500)\n"
        "    def lines():\n"
        "        sent = 0\n"
        "        try:\n"
        "            if first is not None:\n"
        "                yield json.dumps(first) + '\\n'\n"
        "                sent += 1\n"
        "                for event in events:\n"
        "                    yield json.dumps(event) + '\\n'\n"
        "                    sent += 1\n"
        "        except Exception as exc:\n"
        "            yield json.dumps({'error': repr(exc), 'after': sent}) + '\\n'\n"
        "            return\n"
        "        yield json.dumps({'end': True, 'count': sent}) + '\\n'\n"
        "    return StreamingResponse(lines(), media_type='application/jsonl')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[:2] == [
        "✗ 4.2 export_audit: GET /audit.jsonl: the response tells the client what the exception said.",
        '  expected: only {"error": "export failed"}: the details belong in the server log',
    ]
    assert "'hunter2'" in message


def test_export_letting_the_first_failure_escape_gives_a_plain_500(learner_dir):
    learner_module(learner_dir, "export_audit", EXPORT + (
        "    events = audit.events()\n"
        "    first = next(events, None)  # no try: the exception leaves the endpoint\n"
        "    def lines():\n"
        "        sent = 0\n"
        "        try:\n"
        "            if first is not None:\n"
        "                yield json.dumps(first) + '\\n'\n"
        "                sent += 1\n"
        "                for event in events:\n"
        "                    yield json.dumps(event) + '\\n'\n"
        "                    sent += 1\n"
        "        except Exception:\n"
        "            yield json.dumps({'error': 'export failed', 'after': sent}) + '\\n'\n"
        "            return\n"
        "        yield json.dumps({'end': True, 'count': sent}) + '\\n'\n"
        "    return StreamingResponse(lines(), media_type='application/jsonl')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.2 export_audit: GET /audit.jsonl answered 500 (text/plain; charset=utf-8) when the log failed "
        "before its first event.",
        '  expected: 500, Content-Type: application/json, body {"error": "export failed"}',
        "  got:      500 'Internal Server Error'",
    ]


def test_export_guarding_only_the_first_event_breaks_off_midway(learner_dir):
    learner_module(learner_dir, "export_audit", EXPORT + (
        "    events = audit.events()\n"
        "    try:\n"
        "        first = next(events, None)\n"
        "    except Exception:\n"
        "        return JSONResponse({'error': 'export failed'}, status_code=500)\n"
        "    def lines():\n"
        "        sent = 0\n"
        "        if first is not None:\n"
        "            yield json.dumps(first) + '\\n'\n"
        "            sent += 1\n"
        "            for event in events:\n"
        "                yield json.dumps(event) + '\\n'\n"
        "                sent += 1\n"
        "        yield json.dumps({'end': True, 'count': sent}) + '\\n'\n"
        "    return StreamingResponse(lines(), media_type='application/jsonl')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.2 export_audit: GET /audit.jsonl: when the log failed after 3 events, the body broke off "
        "(RemoteProtocolError) instead of ending with an error record.",
        '  expected: 200, the 3 events, then {"error": "export failed", "after": 3} as the last line, '
        "and a normal end of the body",
        "  got:      3 events, then a cut connection (RemoteProtocolError)",
    ]


def test_export_swallowing_a_midway_failure_looks_complete(learner_dir):
    learner_module(learner_dir, "export_audit", EXPORT + (
        "    events = audit.events()\n"
        "    try:\n"
        "        first = next(events, None)\n"
        "    except Exception:\n"
        "        return JSONResponse({'error': 'export failed'}, status_code=500)\n"
        "    def lines():\n"
        "        sent = 0\n"
        "        try:\n"
        "            if first is not None:\n"
        "                yield json.dumps(first) + '\\n'\n"
        "                sent += 1\n"
        "                for event in events:\n"
        "                    yield json.dumps(event) + '\\n'\n"
        "                    sent += 1\n"
        "        except Exception:\n"
        "            pass\n"
        "        yield json.dumps({'end': True, 'count': sent}) + '\\n'\n"
        "    return StreamingResponse(lines(), media_type='application/jsonl')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.2 export_audit: GET /audit.jsonl: the failure after 3 events was hidden: "
        "the body ended as if the export were complete.",
        '  expected: 200, the 3 events, then {"error": "export failed", "after": 3} as the last line, '
        "and a normal end of the body",
        '  got:      3 events, then {"end": true, "count": 3}',
    ]


def test_export_read_whole_before_sending_fails_midway_with_a_500(learner_dir):
    learner_module(learner_dir, "export_audit", EXPORT + (
        "    try:\n"
        "        events = list(audit.events())\n"
        "    except Exception:\n"
        "        return JSONResponse({'error': 'export failed'}, status_code=500)\n"
        "    def lines():\n"
        "        for event in events:\n"
        "            yield json.dumps(event) + '\\n'\n"
        "        yield json.dumps({'end': True, 'count': len(events)}) + '\\n'\n"
        "    return StreamingResponse(lines(), media_type='application/jsonl')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.2 export_audit: GET /audit.jsonl answered 500 though the log failed only after 3 events."
    )


def test_export_reraising_after_the_error_record_cuts_the_body(learner_dir):
    learner_module(learner_dir, "export_audit", EXPORT + (
        "    events = audit.events()\n"
        "    try:\n"
        "        first = next(events, None)\n"
        "    except Exception:\n"
        "        return JSONResponse({'error': 'export failed'}, status_code=500)\n"
        "    def lines():\n"
        "        sent = 0\n"
        "        try:\n"
        "            if first is not None:\n"
        "                yield json.dumps(first) + '\\n'\n"
        "                sent += 1\n"
        "                for event in events:\n"
        "                    yield json.dumps(event) + '\\n'\n"
        "                    sent += 1\n"
        "        except Exception:\n"
        "            yield json.dumps({'error': 'export failed', 'after': sent}) + '\\n'\n"
        "            raise\n"
        "        yield json.dumps({'end': True, 'count': sent}) + '\\n'\n"
        "    return StreamingResponse(lines(), media_type='application/jsonl')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.2 export_audit: GET /audit.jsonl: the body broke off (RemoteProtocolError) after the error record."
    )


def test_export_as_a_path_operation_that_yields_cannot_answer_500(learner_dir):
    learner_module(learner_dir, "export_audit", EXPORT.replace("-> Response", "") + (
        "    sent = 0\n"
        "    for event in audit.events():\n"
        "        yield event\n"
        "        sent += 1\n"
        "    yield {'end': True, 'count': sent}\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.2 export_audit: GET /audit.jsonl answered 200 though the log failed before its first event."
    )


READ_AUDIT = "def read_audit(url: str) -> Iterator[dict]:\n"


def test_client_ignoring_error_records_reads_them_as_events(learner_dir):
    learner_module(learner_dir, "read_audit", READ_AUDIT + (
        "    with httpx.stream('GET', url) as response:\n"
        "        if response.status_code != 200:\n"
        "            raise ExportFailed(f'status {response.status_code}')\n"
        "        for line in response.iter_lines():\n"
        "            record = json.loads(line)\n"
        "            if 'end' in record:\n"
        "                return\n"
        "            yield record\n"
        "    raise ExportFailed('no end record')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.2 export_audit: read_audit on an error record after 3 events handed over 4 events before raising ExportFailed.",
        "  expected: the 3 events that came before the failure, then the exception",
        "  got:      4 events",
    ]


def test_client_using_raise_for_status_raises_the_wrong_error(learner_dir):
    learner_module(learner_dir, "read_audit", READ_AUDIT + (
        "    with httpx.stream('GET', url) as response:\n"
        "        response.raise_for_status()\n"
        "        for line in response.iter_lines():\n"
        "            record = json.loads(line)\n"
        "            if 'error' in record:\n"
        "                raise ExportFailed(record['error'])\n"
        "            if 'end' in record:\n"
        "                return\n"
        "            yield record\n"
        "    raise ExportFailed('no end record')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        '✗ 4.2 export_audit: read_audit on a 500 with {"error": "export failed"} raised HTTPStatusError.',
        "  expected: ExportFailed: one exception a caller can catch for every way an export can fail",
        "  got:      HTTPStatusError: Server error '500 Internal Server Error' for url <url>",
    ]


def test_client_trusting_a_body_without_end_record_misses_truncation(learner_dir):
    learner_module(learner_dir, "read_audit", READ_AUDIT + (
        "    with httpx.stream('GET', url) as response:\n"
        "        if response.status_code != 200:\n"
        "            raise ExportFailed(f'status {response.status_code}')\n"
        "        for line in response.iter_lines():\n"
        "            record = json.loads(line)\n"
        "            if 'error' in record:\n"
        "                raise ExportFailed(record['error'])\n"
        "            if 'end' not in record:\n"
        "                yield record\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.2 export_audit: read_audit on a body that ends after 3 events without the end record returned "
        "normally, as if the export were complete.",
        "  expected: 3 events, then ExportFailed",
        "  got:      3 events and no exception",
    ]


def test_client_letting_transport_errors_through_raises_the_wrong_error(learner_dir):
    learner_module(learner_dir, "read_audit", READ_AUDIT + (
        "    with httpx.stream('GET', url) as response:\n"
        "        if response.status_code != 200:\n"
        "            raise ExportFailed(f'status {response.status_code}')\n"
        "        for line in response.iter_lines():\n"
        "            record = json.loads(line)\n"
        "            if 'error' in record:\n"
        "                raise ExportFailed(record['error'])\n"
        "            if 'end' in record:\n"
        "                return\n"
        "            yield record\n"
        "    raise ExportFailed('no end record')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.2 export_audit: read_audit on a connection cut after 3 events raised RemoteProtocolError."
    )


def test_client_reading_the_whole_body_first_hands_over_nothing_early(learner_dir):
    learner_module(learner_dir, "read_audit", READ_AUDIT + (
        "    response = httpx.get(url)\n"
        "    if response.status_code != 200:\n"
        "        raise ExportFailed(f'status {response.status_code}')\n"
        "    for line in response.text.splitlines():\n"
        "        record = json.loads(line)\n"
        "        if 'error' in record:\n"
        "            raise ExportFailed(record['error'])\n"
        "        if 'end' in record:\n"
        "            return\n"
        "        yield record\n"
        "    raise ExportFailed('no end record')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.2 export_audit: read_audit handed over no event until the whole export had arrived."
    )


def test_client_not_written_yet_is_named(learner_dir):
    learner_module(learner_dir, "read_audit", READ_AUDIT + "    raise NotImplementedError\n")
    with pytest.raises(CheckFailed) as info:
        check("4.2")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.2 export_audit: read_audit, the client half of this exercise, is not written yet."
    )


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


def test_ticks_without_finally_never_close(learner_dir):
    learner_module(learner_dir, "follow_ticks", FOLLOW + (
        "    async def lines():\n"
        "        cursor = store.open_cursor()\n"
        "        while True:\n"
        "            for tick in await run_in_threadpool(cursor.fetch):\n"
        "                yield f'{tick.seq},{tick.price_cents}\\n'\n"
        "        cursor.close()\n"
        "    return StreamingResponse(lines(), media_type='text/plain')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.3")
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, its cursor was never closed.",
        "  expected: the cursor closed within 1 s of the disconnect",
        "  got:      1 cursor still open, even after a garbage collection",
    ]


def swallowing(after_cancel):
    return FOLLOW + (
        "    import asyncio\n"
        "    async def lines():\n"
        "        cursor = store.open_cursor()\n"
        "        try:\n"
        "            while True:\n"
        "                try:\n"
        "                    await asyncio.sleep(0.01)\n"
        "                except asyncio.CancelledError:\n"
        f"                    {after_cancel}  # 'keep the feed alive'\n"
        "                for tick in cursor.fetch():\n"
        "                    yield f'{tick.seq},{tick.price_cents}\\n'\n"
        "        finally:\n"
        "            cursor.close()\n"
        "    return StreamingResponse(lines(), media_type='text/plain')\n"
    )


def test_ticks_swallowing_the_cancellation_go_on_fetching(learner_dir):
    learner_module(learner_dir, "follow_ticks", swallowing("pass"))
    with pytest.raises(CheckFailed) as info:
        check("4.3")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, the generator went on fetching ticks for nobody."
    )
    assert "let CancelledError through" in message


def test_ticks_retrying_after_each_cancellation_never_close(learner_dir):
    # anyio cancels every await inside a cancelled scope, so this loop spins on CancelledError, never fetching.
    learner_module(learner_dir, "follow_ticks", swallowing("continue"))
    with pytest.raises(CheckFailed) as info:
        check("4.3")
    message = str(info.value)
    assert message.splitlines()[0] == "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, its cursor was never closed."
    assert "let CancelledError through" in message


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


def test_ticks_from_one_cursor_shared_by_every_request_fail(learner_dir):
    learner_module(learner_dir, "follow_ticks", FOLLOW + (
        "    global SHARED\n"
        "    if 'SHARED' not in globals():\n"
        "        SHARED = store.open_cursor()\n"
        "    async def lines():\n"
        "        while True:\n"
        "            for tick in await run_in_threadpool(SHARED.fetch):\n"
        "                yield f'{tick.seq},{tick.price_cents}\\n'\n"
        "    return StreamingResponse(lines(), media_type='text/plain')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.3")
    message = str(info.value)
    assert message.splitlines()[0] == "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, its cursor was never closed."


def test_ticks_buffered_before_sending_time_out_as_no_tick(learner_dir):
    learner_module(learner_dir, "follow_ticks", FOLLOW + (
        "    async def lines():\n"
        "        cursor = store.open_cursor()\n"
        "        try:\n"
        "            batch = []\n"
        "            while True:\n"
        "                batch += await run_in_threadpool(cursor.fetch)\n"
        "                if len(batch) >= 1000:\n"
        "                    yield ''.join(f'{t.seq},{t.price_cents}\\n' for t in batch)\n"
        "                    batch = []\n"
        "        finally:\n"
        "            cursor.close()\n"
        "    return StreamingResponse(lines(), media_type='text/plain')\n"
    ))  # fmt: skip
    with pytest.raises(CheckFailed) as info:
        check("4.3")
    message = str(info.value)
    assert message.splitlines()[0] == "✗ 4.3 follow_ticks: GET /ticks sent no tick for 3 s."


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
    assert capsys.readouterr().out.startswith("✓ 4.3 follow_ticks: ticks streamed, one cursor per request; each disconnect")


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
    assert capsys.readouterr().out.startswith("✓ 4.3 follow_ticks: ticks streamed, one cursor per request; each disconnect")
