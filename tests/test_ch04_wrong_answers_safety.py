"""Chapter 4, exercises 4.4-4.6: realistic wrong answers fail their check with the message meant for them."""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse, Response, StreamingResponse

from course_lib import CheckFailed, check
from conftest import ROOT, write_module
from solutions.ch04_gotchas import (
    RETRY_AFTER_SECONDS,
    ExportSlots,
    Feed,
    export_rows,
    export_slots,
    feed_source,
    files_root,
)

STEM = "ch04_gotchas"
GOOD = (ROOT / "solutions" / f"{STEM}.py").read_text()


def learner_module(folder, name, new_def):
    """The solutions module with `name` replaced by `new_def`, written where the check loads answers from
    (errors raised in the learner's own file are reported with their line)."""
    import ast

    node = next(n for n in ast.parse(GOOD).body if getattr(n, "name", None) == name)
    lines = GOOD.splitlines(keepends=True)
    write_module(folder, STEM, "".join(lines[: node.lineno - 1]) + new_def + "".join(lines[node.end_lineno :]))


# -- 4.4 relay_feed ------------------------------------------------------------------------------------


def relay(maxsize=16, on_error="raise", cancel=True, drop_when_full=False):
    """The reference relay with one thing changed."""

    async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
        queue = asyncio.Queue(maxsize=maxsize)

        async def publish(record):
            if drop_when_full:
                try:
                    queue.put_nowait(record)
                except asyncio.QueueFull:
                    pass
            else:
                await queue.put(record)

        async def produce():
            if on_error == "hang":  # an error ends the task silently; nobody looks at it
                await feed(publish)
                await queue.put(None)
                return
            try:
                await feed(publish)
            except Exception as exc:
                await queue.put(exc if on_error == "raise" else None)
            else:
                await queue.put(None)

        async def records():
            task = asyncio.create_task(produce())
            try:
                while (item := await queue.get()) is not None:
                    if isinstance(item, Exception):
                        raise item
                    yield item
            finally:
                if cancel:
                    task.cancel()

        return StreamingResponse(records(), media_type="application/jsonl")

    return relay_feed


def test_relay_with_an_unbounded_queue_runs_away():
    with pytest.raises(CheckFailed) as info:
        check("4.4", relay(maxsize=0))
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.4 relay_feed: while the client was not reading, the feed ran 256 records (4 MiB) ahead of what had "
        "been sent and was still going, when the check stopped it.",
        "  expected: at most 16 records waiting (RELAY_QUEUE_SIZE) plus the one being sent",
        "  got:      256 records held by the app, with nothing holding the feed back",
    ]


def test_relay_with_a_queue_too_large_holds_too_much():
    with pytest.raises(CheckFailed) as info:
        check("4.4", relay(maxsize=100))
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.4 relay_feed: while the client was not reading, the feed ran 101 records (1.6 MiB) ahead of what "
        "had been sent."
    )


def test_relay_dropping_records_when_the_queue_is_full_loses_them():
    with pytest.raises(CheckFailed) as info:
        check("4.4", relay(drop_when_full=True))
    message = str(info.value)
    assert message.splitlines()[:2] == [
        "✗ 4.4 relay_feed: GET /feed ended before the feed's last records: records were lost.",
        "  expected: every record the feed published, then the end",
    ]
    assert "never drop a record" in message


def test_relay_that_never_cancels_its_task_leaves_the_feed_running():
    with pytest.raises(CheckFailed) as info:
        check("4.4", relay(cancel=False))
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.4 relay_feed: the client of GET /feed left while the feed waited in publish(), and the feed was "
        "still running 1 s later."
    )
    assert "task.cancel() in its finally" in message


def test_relay_swallowing_the_feeds_error_ends_cleanly():
    with pytest.raises(CheckFailed) as info:
        check("4.4", relay(on_error="end"))
    message = str(info.value)
    assert message.splitlines()[:2] == [
        "✗ 4.4 relay_feed: the feed of GET /feed raised after 50 records and the stream ended normally.",
        "  expected: 50 records, then the response broken off (no end of body)",
    ]


def test_relay_ignoring_the_feeds_error_hangs():
    with pytest.raises(CheckFailed) as info:
        check("4.4", relay(on_error="hang"))
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.4 relay_feed: the feed of GET /feed raised after 50 records and the stream hung: nothing more came "
        "and it never ended."
    )


# -- 4.5 download --------------------------------------------------------------------------------------


def test_download_unguarded_serves_what_is_outside_the_root():
    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        return FileResponse(root / path)

    with pytest.raises(CheckFailed) as info:

        check("4.5", download)

    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.5 download: GET /files/../secret.txt (path '../secret.txt') answered 200 with the bytes of "
        "secret.txt, a file outside the root.",
        "  expected: 404, as for a missing file",
        "  got:      200 and the bytes of secret.txt, a file outside the root",
    ]


def test_download_testing_for_dot_dot_misses_absolute_paths():
    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        if ".." in path:
            raise HTTPException(404)
        return FileResponse(root / path)

    with pytest.raises(CheckFailed) as info:

        check("4.5", download)

    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.5 download: GET /files//etc/passwd (path '/etc/passwd') answered 200 with the bytes of /etc/passwd, "
        "a file outside the root."
    )
    assert "a path that starts with / replaces the root" in message


def test_download_testing_the_string_misses_symlinks():
    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        if ".." in path or path.startswith("/"):
            raise HTTPException(404)
        return FileResponse(root / path)

    with pytest.raises(CheckFailed) as info:

        check("4.5", download)

    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.5 download: GET /files/escape.txt (path 'escape.txt') answered 200 with the bytes of secret.txt, "
        "a file outside the root."
    )
    assert "resolve() follows symlinks" in message


def test_download_normpath_instead_of_resolve_misses_symlinks():
    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        base = os.path.realpath(root)
        target = os.path.normpath(os.path.join(base, path))
        if not target.startswith(base + os.sep) or not os.path.isfile(target):
            raise HTTPException(404)
        return FileResponse(target)

    with pytest.raises(CheckFailed) as info:

        check("4.5", download)

    message = str(info.value)
    assert message.startswith("✗ 4.5 download: GET /files/escape.txt (path 'escape.txt') answered 200")


def test_download_comparing_string_prefixes_lets_a_sibling_folder_through():
    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        target = (root / path).resolve()
        if not str(target).startswith(str(root.resolve())) or not target.is_file():
            raise HTTPException(404)
        return FileResponse(target)

    with pytest.raises(CheckFailed) as info:

        check("4.5", download)

    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.5 download: GET /files/../files-secret/keys.txt (path '../files-secret/keys.txt') answered 200 "
        "with the bytes of files-secret/keys.txt, a file outside the root."
    )
    assert "Path.is_relative_to(), not str.startswith()" in message


def test_download_comparing_with_the_unresolved_root_refuses_real_files():
    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        try:
            target = (root / path).resolve(strict=True)
        except (OSError, ValueError):
            raise HTTPException(404) from None
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(404)
        return FileResponse(target)

    with pytest.raises(CheckFailed) as info:

        check("4.5", download)

    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.5 download: GET /files/readme.txt (path 'readme.txt', a plain file) answered 404."
    )
    assert "compare with root.resolve(), not root" in message


def test_download_resolving_without_strict_crashes_on_a_nul_byte():
    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        base = root.resolve()
        target = (base / path).resolve()
        if not target.is_relative_to(base) or not target.is_file():
            raise HTTPException(404)
        return FileResponse(target)

    with pytest.raises(CheckFailed) as info:

        check("4.5", download)

    message = str(info.value)
    assert message.splitlines()[:2] == [
        "✗ 4.5 download: GET /files/readme.txt%00.png (path 'readme.txt\\x00.png') answered 500.",
        "  expected: 404, as for a missing file",
    ]
    assert "catch it, like OSError" in message


def test_download_strict_resolve_without_try_raises_for_a_missing_file(learner_dir):
    learner_module(
        learner_dir,
        "download",
        "def download(path: str, root: Path = Depends(files_root)) -> FileResponse:\n"
        "    base = root.resolve()\n"
        "    target = (base / path).resolve(strict=True)\n"
        "    if not target.is_relative_to(base) or not target.is_file():\n"
        "        raise HTTPException(status_code=404)\n"
        "    return FileResponse(target)\n",
    )
    with pytest.raises(CheckFailed) as info:
        check("4.5")
    message = str(info.value)
    assert message.startswith("✗ 4.5 download raised FileNotFoundError while serving the request: ")
    assert message.splitlines()[1].endswith("target = (base / path).resolve(strict=True)")


def test_download_serving_folders_fails_on_the_root_itself():
    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        base = root.resolve()
        try:
            target = (base / path).resolve(strict=True)
        except (OSError, ValueError):
            raise HTTPException(404) from None
        if not target.is_relative_to(base):
            raise HTTPException(404)
        return FileResponse(target)

    with pytest.raises(CheckFailed) as info:

        check("4.5", download)

    message = str(info.value)
    assert message.splitlines()[0] == "✗ 4.5 download: GET /files/ (path '') answered 500."
    assert "serve regular files only" in message


def test_download_echoing_the_path_in_the_404_gives_different_bodies():
    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        base = root.resolve()
        try:
            target = (base / path).resolve(strict=True)
        except (OSError, ValueError):
            raise HTTPException(404, f"no file {path!r}") from None
        if not target.is_relative_to(base) or not target.is_file():
            raise HTTPException(404, f"no file {path!r}")
        return FileResponse(target)

    with pytest.raises(CheckFailed) as info:

        check("4.5", download)

    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.5 download: GET /files/../secret.txt (path '../secret.txt') answered 404 with another body than "
        "a missing file's."
    )


def test_download_refusing_only_folders_waits_on_a_named_pipe():
    def download(path: str, root: Path = Depends(files_root)) -> Response:
        base = root.resolve()
        try:
            target = (base / path).resolve(strict=True)
        except (OSError, ValueError):
            raise HTTPException(404) from None
        if not target.is_relative_to(base) or target.is_dir():
            raise HTTPException(404)
        with open(target, "rb") as f:
            return Response(f.read())

    with pytest.raises(CheckFailed) as info:
        check("4.5", download)
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.5 download: GET /files/pipe got no answer within 3 s.",
        "  expected: 404 at once",
        "  got:      no status line: the endpoint is still waiting",
    ]


# -- 4.6 export_report ---------------------------------------------------------------------------------


def slot(status=503, retry_after=True, wait=False, release="finally", compare=">="):
    """The reference export_slot with one thing changed."""

    async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[None]:
        full = slots.in_use >= slots.limit if compare == ">=" else slots.in_use > slots.limit
        if compare == "2":
            full = slots.in_use >= 2
        if wait:
            while slots.in_use >= slots.limit:
                await asyncio.sleep(0.01)
        elif full:
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if retry_after else None
            raise HTTPException(status, "too many exports are running; try again later", headers=headers)
        slots.in_use += 1
        if release == "after":  # only when the response ends normally
            yield
            slots.in_use -= 1
            return
        try:
            yield
        finally:
            slots.in_use -= 1

    return export_slot


def report(export_slot, scope=None):
    async def export_report(
        rows: AsyncIterator[str] = Depends(export_rows),
        slot: None = Depends(export_slot, scope=scope),
    ) -> StreamingResponse:
        return StreamingResponse(rows, media_type="text/csv")

    return export_report


def test_export_slot_released_when_the_endpoint_returns_lets_too_many_in():
    async def export_report(
        rows: AsyncIterator[str] = Depends(export_rows),
        slots: ExportSlots = Depends(export_slots),
    ) -> StreamingResponse:
        if slots.in_use >= slots.limit:
            raise HTTPException(503, "busy", headers={"Retry-After": "5"})
        slots.in_use += 1
        try:
            return StreamingResponse(rows, media_type="text/csv")
        finally:
            slots.in_use -= 1

    with pytest.raises(CheckFailed) as info:

        check("4.6", export_report)

    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.6 export_report: GET /export.csv number 4 got in while 3 exports were streaming (the limit is 3).",
        "  expected: 503 Service Unavailable with Retry-After",
        "  got:      200; slots.in_use was 0 while 3 exports streamed: the slots were given back when the endpoint "
        "returned, not when the streams ended",
    ]


def test_export_slot_with_function_scope_ends_before_the_stream():
    with pytest.raises(CheckFailed) as info:
        check("4.6", report(slot(), scope="function"))
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.6 export_report: GET /export.csv number 4 got in while 3 exports were streaming (the limit is 3)."
    )
    assert "not with scope='function'" in message


def test_export_slot_that_waits_for_a_free_slot_queues_the_request():
    with pytest.raises(CheckFailed) as info:
        check("4.6", report(slot(wait=True)))
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.6 export_report: GET /export.csv number 4 waited: no answer within 1 s while 3 exports were running.",
        "  expected: 503 Service Unavailable with Retry-After, at once (the limit is 3)",
        "  got:      no status line: the request was queued for a slot, for as long as the exports run",
    ]


def test_export_with_fastapis_max_concurrency_queues_the_request():
    async def hold(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[ExportSlots]:
        yield slots  # a dependency with yield: held, like the limit, until the response is over

    async def export_report_held(
        rows: AsyncIterator[str] = Depends(export_rows),
        slots: ExportSlots = Depends(hold, max_concurrency=3),
    ) -> StreamingResponse:
        return StreamingResponse(rows, media_type="text/csv")

    with pytest.raises(CheckFailed) as info:

        check("4.6", export_report_held)

    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.6 export_report: GET /export.csv number 4 waited: no answer within 1 s while 3 exports were running."
    )
    assert "no Depends(max_concurrency=...)" in message


def test_export_refused_with_429_is_the_wrong_status():
    with pytest.raises(CheckFailed) as info:
        check("4.6", report(slot(status=429)))
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.6 export_report: GET /export.csv number 4 answered 429 while 3 exports were running."
    )
    assert "here the server is busy for everyone" in message


def test_export_refused_without_retry_after():
    with pytest.raises(CheckFailed) as info:
        check("4.6", report(slot(retry_after=False)))
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.6 export_report: GET /export.csv number 4 answered 503 without a Retry-After header.",
        "  expected: Retry-After: a number of seconds (1 or more), e.g. Retry-After: 5",
        "  got:      no Retry-After header",
    ]


def test_export_slot_given_back_only_on_a_normal_end_leaks_when_one_fails():
    with pytest.raises(CheckFailed) as info:
        check("4.6", report(slot(release="after")))
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.6 export_report: GET /export.csv after one export failed midway answered 503 while 2 of 3 exports "
        "were running."
    )
    assert "give the slot back in a finally after the yield" in message


def test_export_limit_compared_with_greater_than_lets_one_too_many_in():
    with pytest.raises(CheckFailed) as info:
        check("4.6", report(slot(compare=">")))
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 4.6 export_report: GET /export.csv number 4 got in while 3 exports were streaming (the limit is 3).",
        "  expected: 503 Service Unavailable with Retry-After",
        "  got:      200, with slots.in_use at 4",
    ]


def test_export_limit_hard_coded_refuses_the_third():
    with pytest.raises(CheckFailed) as info:
        check("4.6", report(slot(compare="2")))
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 4.6 export_report: GET /export.csv number 3 answered 503 while 2 of 3 exports were running."
    )
    assert "compare with slots.limit (the check sets its own)" in message


def test_export_counting_in_the_generator_and_the_dependency_gives_back_twice():
    async def export_report(
        rows: AsyncIterator[str] = Depends(export_rows),
        slot: None = Depends(slot()),
        slots: ExportSlots = Depends(export_slots),
    ) -> StreamingResponse:
        async def lines():
            try:
                async for line in rows:
                    yield line
            finally:
                slots.in_use -= 1  # the dependency gives it back as well

        return StreamingResponse(lines(), media_type="text/csv")

    with pytest.raises(CheckFailed) as info:

        check("4.6", export_report)

    message = str(info.value)
    assert message.splitlines()[:2] == [
        "✗ 4.6 export_report: GET /export.csv number 4 after the 3 clients that hung up were replaced got in "
        "while 3 exports were streaming (the limit is 3).",
        "  expected: 503 Service Unavailable with Retry-After",
    ]
    assert message.splitlines()[2].endswith("slots were given back more often than they were taken")
