"""Exercise 3.4 download: the learner's client against a server that cuts the connection mid-body a few
times and changes the file once, then against a corrupt, a busy and a missing file."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.responses import PlainTextResponse, Response

from .._case import Failure, case
from .._tools import KiB, MiB, sample_bytes

#: What video.webm.part holds when the download starts.
PRE = 100 * KiB
BACKOFF = 0.05


class FaultyFiles:
    """The server side of 3.4: /file cuts the connection after a few hundred KiB, and changes once.

    Request n (0-based) of /file is cut after CUTS[n] bytes of body (None: sent whole); the file is
    version 1 for requests 0 and 1 and version 2 from request 2 on.  Every request is logged.
    """

    CUTS = [200 * KiB, 200 * KiB, 300 * KiB, 300 * KiB]

    def __init__(self) -> None:
        self.v1 = sample_bytes(MiB, seed=7)
        self.v2 = sample_bytes(MiB + 4321, seed=8)
        self.log: list[dict[str, Any]] = []
        self.busy_times: list[float] = []
        self.missing_count = 0

    def version(self, n: int) -> tuple[bytes, str]:
        return (self.v1, '"v1"') if n < 2 else (self.v2, '"v2"')

    @staticmethod
    def digest_header(data: bytes) -> str:
        return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"

    async def app(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if path == "/busy":
            self.busy_times.append(time.monotonic())
            return await PlainTextResponse("try later", status_code=503)(scope, receive, send)
        if path == "/missing":
            self.missing_count += 1
            return await PlainTextResponse("no such file", status_code=404)(scope, receive, send)
        if path == "/corrupt":
            data = sample_bytes(64 * KiB, seed=9)
            digest = self.digest_header(data[:-1] + b"x")
            return await Response(data, headers={"Repr-Digest": digest, "ETag": '"c1"'})(scope, receive, send)
        if path == "/plain":
            data = sample_bytes(64 * KiB, seed=10)
            return await Response(data, headers={"ETag": '"p1"'})(scope, receive, send)
        n = len(self.log)
        data, etag = self.version(n)
        entry = {"range": headers.get("range"), "if_range": headers.get("if-range"), "version": 1 if n < 2 else 2}
        self.log.append(entry)
        first = 0
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", headers.get("range", ""))
        if match and headers.get("if-range", etag) == etag and int(match[1]) < len(data):
            first = int(match[1])
        out = [(b"etag", etag.encode()), (b"accept-ranges", b"bytes"),
               (b"repr-digest", self.digest_header(data).encode()),
               (b"content-length", str(len(data) - first).encode())]  # fmt: skip
        if first:
            out.append((b"content-range", f"bytes {first}-{len(data) - 1}/{len(data)}".encode()))
        entry["status"] = 206 if first else 200
        entry["first"] = first
        await send({"type": "http.response.start", "status": entry["status"], "headers": out})
        cut = self.CUTS[n] if n < len(self.CUTS) else None
        body = memoryview(data)[first:]
        end = len(body) if cut is None else min(cut, len(body))
        entry["sent"] = end
        for start in range(0, end, 64 * KiB):
            await send({"type": "http.response.body", "body": bytes(body[start : min(start + 64 * KiB, end)]),
                        "more_body": True})  # fmt: skip
        if cut is None or cut >= len(body):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        raise ConnectionAbortedError("the check cuts this connection on purpose")


def _sidecars(dest: Path) -> list[Path]:
    return [p for p in (dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.validator")) if p.exists()]


def expect_resumed_well(log: list[dict[str, Any]]) -> None:
    """Fail on the first request that shows a resuming mistake."""
    first = log[0] if log else {}
    if first.get("range") is None:
        raise Failure(
            f"the first request asked for the whole file although video.webm.part already held {PRE} bytes.",
            expected=f"Range: bytes={PRE}- and If-Range: \"v1\" (from video.webm.part.validator)",
            got="no Range header",
            next="start from the size of the .part file when it and its validator exist",
        )
    for number, entry in enumerate(log, start=1):
        if entry["range"] is not None and entry["if_range"] is None:
            raise Failure(
                f"request {number} resumed with Range: {entry['range']} but without If-Range.",
                expected="If-Range: <the ETag the partial bytes came with>",
                got="no If-Range: had the file changed, old and new bytes would be spliced together",
                next="send If-Range with the saved ETag whenever you send Range",
            )
    for number, (before, entry) in enumerate(zip(log, log[1:]), start=2):
        if before["status"] == 200 and entry["range"] is not None:
            offset = int(re.match(r"bytes=(\d+)", entry["range"])[1])
            if offset > before["sent"]:
                raise Failure(
                    f"after a 200 that sent {before['sent']} bytes of a changed file, request {number} asked "
                    f"for bytes={offset}-.",
                    expected=f"at most bytes={before['sent']}-: a 200 body starts at byte 0 of the new version",
                    got=f"Range: {entry['range']}: the new bytes were appended to the old partial file",
                    next="on a 200 open .part with 'wb' (truncate) instead of appending",
                )
        if entry["range"] is None and before.get("sent", 0) + before.get("first", 0) > 0:
            raise Failure(
                f"after the connection broke, request {number} started over from byte 0.",
                expected="Range: bytes=<bytes already in .part>- with If-Range",
                got="no Range header: everything downloaded so far was thrown away",
                next="resume from the size of the .part file",
            )


def faulty_files(ctx) -> FaultyFiles:
    """The check's FaultyFiles, served once per check (its url in ctx.found["url"])."""
    if "files" not in ctx.found:
        files = FaultyFiles()
        ctx.found.update(files=files, url=ctx.serve(files.app).url)
    return ctx.found["files"]


@case("3.4")
def resumes_with_range_and_if_range(download, ctx):
    """video.webm.part holds the first 100 KiB of version 1: the first request must ask for the rest."""
    files = faulty_files(ctx)
    dest = ctx.folder / "video.webm"
    dest.with_name(dest.name + ".part").write_bytes(files.v1[:PRE])
    dest.with_name(dest.name + ".part.validator").write_text('"v1"')
    progress: list[tuple[int, Any]] = []
    ctx.found.update(dest=dest, progress=progress)
    try:
        ctx.found["returned"] = download(ctx.found["url"] + "/file", dest, attempts=4, backoff=0.01,
                                         on_progress=lambda done, total: progress.append((done, total)))  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - what the requests show is the better story; see below
        if not files.log:
            raise
        expect_resumed_well(files.log)
        if not isinstance(exc, httpx.TransportError):
            raise
        raise Failure(
            f"download raised {type(exc).__name__} when the server cut the connection after "
            f"{files.log[-1]['sent']} bytes.",
            expected="a retry that asks for the rest with Range",
            got=f"{type(exc).__name__} after {len(files.log)} request{'s' if len(files.log) != 1 else ''}",
            next="catch httpx.TransportError around each attempt, sleep, and try again",
        ) from None
    expect_resumed_well(files.log)
    return f"resumed at byte {PRE} with If-Range"


@case("3.4")
def restarts_on_a_200_within_8_requests(download, ctx):
    log = ctx.found["files"].log
    if len(log) > 8:
        raise Failure(f"download made {len(log)} requests for 4 cuts and 1 change.", expected="at most 8",
                      got=f"{len(log)}", next="resume each time from what .part holds")  # fmt: skip
    return f"{len(log)} requests through 4 cuts and a change (200 restarted the file)"


@case("3.4")
def leaves_the_final_file_only(download, ctx):
    dest, v2 = ctx.found["dest"], ctx.found["files"].v2
    if not dest.exists() or dest.read_bytes() != v2:
        have = dest.stat().st_size if dest.exists() else None
        raise Failure(
            "the downloaded file is not byte-identical to the final version of the file.",
            expected=f"{len(v2)} bytes, sha256 {hashlib.sha256(v2).hexdigest()[:16]}…",
            got="no file at dest" if have is None else f"{have} bytes that differ",
            next="append only a 206 whose Content-Range starts where .part ends; restart on a 200",
        )
    if (got := ctx.found["returned"]) != hashlib.sha256(v2).hexdigest():
        raise Failure("download returned the wrong value.", expected="the sha256 of the file, as hex",
                      got=f"{got!r:.70}", next="return hashlib.sha256(...).hexdigest() of the file")  # fmt: skip
    if left := _sidecars(dest):
        raise Failure("download left its working files behind.", expected="no .part or .part.validator file",
                      got=", ".join(p.name for p in left), next="os.replace(.part, dest) and delete the validator")  # fmt: skip
    return "final file identical, sha256 returned, no .part left"


@case("3.4")
def reports_progress_to_the_end(download, ctx):
    progress, total = ctx.found["progress"], len(ctx.found["files"].v2)
    if not progress or progress[-1] != (total, total):
        raise Failure(
            "the progress reports do not end at the full size.",
            expected=f"a last call on_progress({total}, {total})",
            got=f"the last call was on_progress{progress[-1]}" if progress else "no call",
            next="call on_progress(bytes in .part, total size) after each chunk written",
        )


@case("3.4")
def refuses_a_corrupt_body(download, ctx):
    bad = ctx.folder / "corrupt.bin"
    try:
        download(ctx.found["url"] + "/corrupt", bad, attempts=2, backoff=0.01)
    except ValueError:
        pass
    else:
        raise Failure(
            "a body whose sha256 does not match the server's Repr-Digest was accepted.",
            expected="ValueError, and no corrupt.bin",
            got="download returned normally",
            next="decode Repr-Digest: sha-256=:<base64>: (repr_digest(response)) and compare at the end",
        )
    if bad.exists() or _sidecars(bad):
        raise Failure("after a sha256 mismatch the corrupt bytes were kept.", expected="no corrupt.bin, no .part",
                      got=", ".join(p.name for p in [bad, *_sidecars(bad)] if p.exists()),
                      next="delete .part before raising ValueError")  # fmt: skip
    try:
        download(ctx.found["url"] + "/plain", ctx.folder / "plain.bin", sha256="0" * 64, attempts=2, backoff=0.01)
    except ValueError:
        return "Repr-Digest and sha256= mismatches raised ValueError"
    raise Failure("download(..., sha256=...) accepted a file with another sha256.",
                  expected="ValueError", got="download returned normally",
                  next="compare with the sha256 argument when it is given")  # fmt: skip


@case("3.4")
def retries_a_503_with_growing_sleeps(download, ctx):
    try:
        download(ctx.found["url"] + "/busy", ctx.folder / "busy.bin", attempts=3, backoff=BACKOFF)
    except httpx.HTTPStatusError:
        pass
    except Exception as exc:  # noqa: BLE001 - any other error is the wrong one
        raise Failure("three 503 answers ended with the wrong error.", expected="httpx.HTTPStatusError",
                      got=f"{type(exc).__name__}: {exc}"[:100], next="re-raise the last error")  # fmt: skip
    else:
        raise Failure("three 503 answers were taken for a download.", expected="httpx.HTTPStatusError",
                      got="download returned normally", next="response.raise_for_status()")  # fmt: skip
    expect_growing_sleeps(ctx.found["files"].busy_times)
    return "503 retried 3 times with growing sleeps"


def expect_growing_sleeps(times: list[float]) -> None:
    """Fail unless the 503s came 3 times, backoff and then 2 * backoff apart (at least)."""
    if len(times) != 3:
        raise Failure(
            f"a server answering 503 got {len(times)} requests with attempts=3.",
            expected="3 requests (5xx is worth retrying), then the error",
            got=f"{len(times)} requests",
            next="retry 5xx like a broken connection, and stop after `attempts` failures in a row",
        )
    gaps = [b - a for a, b in zip(times, times[1:])]
    if gaps[0] < 0.8 * BACKOFF or gaps[1] < 0.8 * 2 * BACKOFF:
        raise Failure(
            "the retries after a 503 did not wait long enough.",
            expected=f"a sleep of backoff ({BACKOFF} s), then 2 * backoff, 4 * backoff, ...",
            got="retries sooner than that: a struggling server is hammered",
            next="time.sleep(backoff * 2 ** (failures - 1)) before each retry",
        )


@case("3.4")
def raises_a_404_at_once(download, ctx):
    try:
        download(ctx.found["url"] + "/missing", ctx.folder / "missing.bin", attempts=3, backoff=BACKOFF)
    except httpx.HTTPStatusError:
        pass
    else:
        raise Failure("a 404 answer was saved as a file.", expected="httpx.HTTPStatusError",
                      got="download returned normally", next="response.raise_for_status()")  # fmt: skip
    if (count := ctx.found["files"].missing_count) != 1:
        raise Failure(f"a 404 answer was retried ({count} requests).", expected="1 request",
                      got=f"{count} requests", next="retry only 5xx and broken connections")  # fmt: skip
    return "404 raised at once."
