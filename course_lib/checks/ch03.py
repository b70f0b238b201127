"""Checks and hints for notebooks/03_range_requests.ipynb (exercises/ch03_range_requests.py).

3.1 compares parse_range() with a table of headers, from the RFC's own examples to hostile ones.
3.2 and 3.3 mount the learner's function on a real server and fetch over HTTP; the blob they serve is
the check's own, whose reader records every read, so "never read outside the range" is measured, not
guessed.  3.4 runs the learner's client against a server that cuts the connection mid-body and changes
the file once.
"""

from __future__ import annotations

import base64
import email.policy
import email.utils
import hashlib
import inspect
import re
import sqlite3
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .._answers import learner_frame
from ._case import Failure, case
from ._tools import KiB, MiB, peak_memory, sample_bytes, size, workdir

MODULE = "ch03_range_requests"
RFC = "https://www.rfc-editor.org/rfc/rfc9110"

# -- 3.1 parse_range ----------------------------------------------------------------------------------

IGNORE = ("ignore", [])
UNSATISFIABLE = ("unsatisfiable", [])

_ADVICE = {
    "single": "last-pos is included: bytes=0-99 is (0, 99), 100 bytes",
    "open": "a range with no last-pos runs to the end: (first, size - 1)",
    "suffix": "bytes=-N means the last N bytes: (size - N, size - 1), the whole file when N >= size",
    "clamp": "a last-pos at or past the end means the end: min(last, size - 1)",
    "order": "keep the ranges in the order they were asked for; only merged ones move",
    "coalesce": "merge ranges that overlap or touch: (0, 99) and (100, 199) -> (0, 199)",
    "partly": "drop only the ranges that start at or past the end; unsatisfiable needs all of them to (§14.1.1)",
    "unsat": "when every range starts at or past the end, return ('unsatisfiable', []) so the server sends 416",
    "zero": "a suffix of 0 bytes is never satisfiable (§14.1.2)",
    "unit": "a range unit other than bytes MUST be ignored (§14.2); units compare case-insensitively",
    "none": "no header (None) or an empty one -> ('ignore', [])",
    "invalid": "one invalid range-spec makes the whole header invalid: return ('ignore', [])",
    "digits": "positions are ASCII digits only: int() also takes '+5', ' 5', '1_0' and '٥'; match [0-9]+",
    "list": "spaces around commas and empty list elements are allowed (RFC 9110 §5.6.1)",
    "many": "more than 50 range-specs -> ('ignore', []): the 2011 'Apache Killer' sent 1300",
    "overlap": "a byte asked for by three or more ranges -> ('ignore', [])",
    "unsorted": "more than 10 ranges not in ascending order -> ('ignore', [])",
    "empty": "on an empty file bytes=0- is unsatisfiable and bytes=-5 is ('ignore', []): 200 with no bytes",
    "huge": "a position with thousands of digits must not crash (int() refuses over 4300 digits)",
}

CASES: list[tuple[str, str | None, int, tuple[str, list[tuple[int, int]]]]] = [
    ("single", "bytes=0-99", 10000, ("ranges", [(0, 99)])),
    ("single", "bytes=500-999", 10000, ("ranges", [(500, 999)])),
    ("single", "bytes=0-0", 10000, ("ranges", [(0, 0)])),
    ("open", "bytes=9500-", 10000, ("ranges", [(9500, 9999)])),
    ("suffix", "bytes=-500", 10000, ("ranges", [(9500, 9999)])),
    ("suffix", "bytes=-20000", 10000, ("ranges", [(0, 9999)])),
    ("clamp", "bytes=9000-20000", 10000, ("ranges", [(9000, 9999)])),
    ("clamp", "bytes=0-10000", 10000, ("ranges", [(0, 9999)])),
    ("order", "bytes=500-599,0-99", 10000, ("ranges", [(500, 599), (0, 99)])),
    ("order", "bytes=9000-9099,-100,0-99", 10000, ("ranges", [(9000, 9099), (9900, 9999), (0, 99)])),
    ("coalesce", "bytes=0-99,50-199", 10000, ("ranges", [(0, 199)])),
    ("coalesce", "bytes=0-99,100-199", 10000, ("ranges", [(0, 199)])),
    ("coalesce", "bytes=5000-5099,0-99,90-210", 10000, ("ranges", [(5000, 5099), (0, 210)])),
    ("partly", "bytes=0-9,20000-", 10000, ("ranges", [(0, 9)])),
    ("unsat", "bytes=20000-", 10000, UNSATISFIABLE),
    ("unsat", "bytes=10000-10005", 10000, UNSATISFIABLE),
    ("zero", "bytes=-0", 10000, UNSATISFIABLE),
    ("unit", "items=0-5", 10000, IGNORE),
    ("unit", "Bytes=0-9", 10000, ("ranges", [(0, 9)])),
    ("none", None, 10000, IGNORE),
    ("none", "", 10000, IGNORE),
    ("invalid", "bytes=5-4", 10000, IGNORE),
    ("invalid", "bytes=abc", 10000, IGNORE),
    ("invalid", "bytes=0-9,abc", 10000, IGNORE),
    ("invalid", "bytes=-", 10000, IGNORE),
    ("invalid", "bytes=", 10000, IGNORE),
    ("invalid", "bytes 0-9", 10000, IGNORE),
    ("digits", "bytes=0-1_0", 10000, IGNORE),
    ("digits", "bytes=+5-9", 10000, IGNORE),
    ("digits", "bytes=٠-٩", 10000, IGNORE),
    ("list", "bytes=0-9, 20-29", 10000, ("ranges", [(0, 9), (20, 29)])),
    ("list", "bytes=0-9,,20-29,", 10000, ("ranges", [(0, 9), (20, 29)])),
    ("many", "bytes=0-," + ",".join(f"5-{i}" for i in range(5, 1305)), 10000, IGNORE),
    ("many", "bytes=" + ",".join(f"{i * 100}-{i * 100 + 9}" for i in range(51)), 10000, IGNORE),
    ("many", "bytes=" + ",".join(f"{i * 100}-{i * 100 + 9}" for i in range(50)), 10000,
     ("ranges", [(i * 100, i * 100 + 9) for i in range(50)])),  # fmt: skip
    ("overlap", "bytes=0-,0-,0-", 10000, IGNORE),
    ("overlap", "bytes=0-99,50-149,90-95", 10000, IGNORE),
    ("unsorted", "bytes=" + ",".join(f"{i * 100}-{i * 100 + 9}" for i in reversed(range(11))), 10000, IGNORE),
    ("unsorted", "bytes=" + ",".join(f"{i * 100}-{i * 100 + 9}" for i in reversed(range(10))), 10000,
     ("ranges", [(i * 100, i * 100 + 9) for i in reversed(range(10))])),  # fmt: skip
    ("empty", "bytes=0-", 0, UNSATISFIABLE),
    ("empty", "bytes=-0", 0, UNSATISFIABLE),
    ("empty", "bytes=-5", 0, IGNORE),
    ("huge", "bytes=0-" + "9" * 5000, 10000, ("ranges", [(0, 9999)])),
    ("huge", "bytes=" + "9" * 5000 + "-", 10000, UNSATISFIABLE),
]


def _short(header: str | None) -> str:
    text = repr(header)
    return text if len(text) <= 60 else text[:40] + f"…' ({len(header or '')} characters)"


def _normal(result: Any) -> tuple[str, list[tuple[int, int]]] | None:
    """A result as (kind, [(first, last), ...]), or None if it does not have that shape."""
    try:
        kind, ranges = result
        return kind, [(int(first), int(last)) for first, last in ranges]
    except (TypeError, ValueError):
        return None


@case("3.1")
def check_parse_range(parse_range, ctx) -> str:
    for topic, header, length, expected in CASES:
        got = parse_range(header, length)
        normal = _normal(got)
        if normal is None:
            raise Failure(
                f"parse_range({_short(header)}, {length}) returned {type(got).__name__} {got!r:.60}.",
                expected="a (kind, ranges) pair: RangeResult(\"ranges\", [(0, 99)]), (\"ignore\", []) or "
                "(\"unsatisfiable\", [])",
                got=f"{got!r:.80}",
                next="return RangeResult(kind, ranges)",
            )
        if normal != expected:
            raise Failure(
                f"parse_range({_short(header)}, {length}) is wrong.",
                expected=f"{expected}",
                got=f"{normal}"[:120],
                next=_ADVICE[topic],
            )
    return (
        f"{len(CASES)} headers right: single, open-ended, suffix, clamped and multiple ranges (order kept, "
        "overlaps merged), 416 cases, ignored units and invalid syntax, DoS guards, empty file, huge numbers."
    )


# -- the check's own blobs, whose reads are recorded --------------------------------------------------


@dataclass
class Reads:
    """Every read the blob readers made: (first byte, bytes returned), and how many readers were opened."""

    opened: int = 0
    spans: list[tuple[int, int]] = field(default_factory=list)

    def outside(self, allowed: list[tuple[int, int]]) -> tuple[int, int] | None:
        """The first read (as an inclusive byte span) that is not inside one of the `allowed` ranges."""
        for start, n in self.spans:
            if n and not any(first <= start and start + n - 1 <= last for first, last in allowed):
                return start, start + n - 1
        return None

    def clear(self) -> None:
        self.opened, self.spans = 0, []


class SpyReader:
    def __init__(self, conn: sqlite3.Connection, blob: Any, reads: Reads) -> None:
        self._conn, self._blob, self._reads = conn, blob, reads
        reads.opened += 1

    def seek(self, offset: int, origin: int = 0) -> None:
        self._blob.seek(offset, origin)

    def tell(self) -> int:
        return self._blob.tell()

    def read(self, n: int = -1) -> bytes:
        start = self._blob.tell()
        data = self._blob.read(n)
        self._reads.spans.append((start, len(data)))
        return data

    def close(self) -> None:
        self._blob.close()
        self._conn.close()

    def __enter__(self) -> "SpyReader":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class SpyBlob:
    """Like the exercise module's Blob, but its readers record what they read."""

    db_path: Path
    id: int
    name: str
    size: int
    media_type: str
    etag: str
    last_modified: int
    reads: Reads = field(compare=False, repr=False, default_factory=Reads)

    def open(self) -> SpyReader:
        conn = sqlite3.connect(self.db_path, check_same_thread=False)
        return SpyReader(conn, conn.blobopen("blobs", "data", self.id, readonly=True), self.reads)

    @property
    def last_modified_http(self) -> str:
        return email.utils.formatdate(self.last_modified, usegmt=True)


LAST_MODIFIED = 1_700_000_000  # Tue, 14 Nov 2023 22:13:20 GMT


def make_blobs(folder: Path, files: list[tuple[str, bytes, str]]) -> list[SpyBlob]:
    path = folder / "blobs.sqlite"
    conn = sqlite3.connect(path)
    blobs = []
    with conn:
        conn.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        for i, (name, data, media_type) in enumerate(files, start=1):
            conn.execute("INSERT INTO blobs VALUES (?, ?)", (i, data))
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            blobs.append(SpyBlob(path, i, name, len(data), media_type, etag, LAST_MODIFIED))
    conn.close()
    return blobs


PREREQUISITES = {"parse_range": "3.1", "byteranges_response": "3.3", "send_blob": "3.2"}


def serve_blobs(ctx, call: Any, name: str, seen: dict[str, Any]):
    """Serve `call(request, blob_id)` (the learner's function applied) at /blob/{id} for GET, HEAD and POST.

    A NotImplementedError from another exercise's stub (send_blob calling an unwritten parse_range) is
    noted in `seen` instead of being reported as this exercise's own stub.
    """

    async def endpoint(request):
        blob_id = int(request.path_params["blob_id"])
        try:
            response = await run_in_threadpool(call, request, blob_id)
            if inspect.isawaitable(response):
                response = await response
        except NotImplementedError as exc:
            frame = learner_frame(exc)
            if frame is not None and frame.name != name and frame.name in PREREQUISITES:
                seen["prerequisite"] = frame.name
                return PlainTextResponse("prerequisite missing", status_code=500)
            raise
        if not isinstance(response, Response):
            seen["returned"] = type(response).__name__
            return PlainTextResponse("not a Response", status_code=500)
        return response

    route = Route("/blob/{blob_id:int}", endpoint, methods=["GET", "HEAD", "POST"])
    return ctx.serve(Starlette(routes=[route]))


def after_request(seen: dict[str, Any], name: str) -> None:
    if "prerequisite" in seen:
        needed = seen["prerequisite"]
        raise Failure(
            f"{name} calls {needed}, which is not written yet.",
            expected=f"exercise {PREREQUISITES[needed]} done first",
            got=f"NotImplementedError from {needed}",
            next=f'finish {needed} and check("{PREREQUISITES[needed]}")',
        )
    if "returned" in seen:
        raise Failure(
            f"{name} returned a {seen['returned']}, not a Response.",
            expected="a Starlette/FastAPI Response (StreamingResponse for a body read in chunks)",
            got=seen["returned"],
            next="return the Response you built",
        )


def _describe(response: httpx.Response) -> str:
    parts = [f"{response.status_code}"]
    if "content-range" in response.headers:
        parts.append(f"Content-Range: {response.headers['content-range']}")
    parts.append(f"{len(response.content)} bytes")
    return ", ".join(parts)


def _expected_206(first: int, last: int, total: int) -> str:
    return f"206 Partial Content, Content-Range: bytes {first}-{last}/{total}, {last - first + 1} bytes"


def broke_off(what: str, exc: BaseException) -> Failure:
    return Failure(
        f"{what}: the connection broke off mid-body.",
        expected="a body of exactly Content-Length bytes",
        got=f"{type(exc).__name__}: the server sent more or fewer bytes than its Content-Length said",
        next="count every byte you send: the part heads, the data, each CRLF and the closing delimiter",
    )


def _request(server, method: str, blob: SpyBlob, headers: dict[str, str], seen: dict[str, Any], name: str):
    blob.reads.clear()
    try:
        response = server.client.request(method, f"/blob/{blob.id}", headers=headers)
    except httpx.RemoteProtocolError as exc:
        after_request(seen, name)
        raise broke_off(_words(method, headers), exc) from None
    after_request(seen, name)
    return response


def _words(method: str, headers: dict[str, str]) -> str:
    said = ", ".join(f"{k}: {v}" for k, v in headers.items())
    return f"{method} with {said}" if said else f"{method} without Range"


def expect_whole(response: httpx.Response, data: bytes, what: str, why: str) -> None:
    if response.status_code != 200 or response.content != data:
        raise Failure(
            f"{what} answered {_describe(response)}.",
            expected=f"200 with the whole blob ({len(data)} bytes): {why}",
            got=_describe(response),
            next=_next_for_whole(response),
        )


def _next_for_whole(response: httpx.Response) -> str:
    if response.status_code == 206:
        return "apply the Range only when it should be: a GET, and If-Range (if sent) matching"
    if response.status_code == 416:
        return "answer 416 only when parse_range says unsatisfiable"
    return "send the whole blob with status 200 when the Range is ignored"


def expect_part(response: httpx.Response, data: bytes, first: int, last: int, what: str) -> None:
    total = len(data)
    want_range = f"bytes {first}-{last}/{total}"
    if response.status_code == 200:
        raise Failure(
            f"{what} answered 200 with {'the whole blob' if response.content == data else _describe(response)}.",
            expected=_expected_206(first, last, total),
            got=_describe(response),
            next="you sent 200 where a 206 was due: use parse_range() and answer 206 with the part",
        )
    if response.status_code != 206:
        raise Failure(
            f"{what} answered {response.status_code}.",
            expected=_expected_206(first, last, total),
            got=_describe(response),
            next="a satisfiable range gets 206 Partial Content",
        )
    got_range = response.headers.get("content-range")
    if got_range != want_range:
        raise Failure(
            f"{what} answered 206 with the wrong Content-Range.",
            expected=f"Content-Range: {want_range}",
            got=f"Content-Range: {got_range}" if got_range else "no Content-Range header",
            next="Content-Range is 'bytes first-last/size' with last included, the same numbers as the range",
        )
    if response.content != data[first : last + 1]:
        raise Failure(
            f"{what} sent the wrong bytes.",
            expected=f"bytes {first}-{last} of the blob ({last - first + 1} bytes)",
            got=f"{len(response.content)} bytes" + (", not those" if len(response.content) == last - first + 1 else ""),
            next="seek to first and read last - first + 1 bytes (read_range(blob, first, last))",
        )
    if response.headers.get("content-length") != str(last - first + 1):
        raise Failure(
            f"{what} answered 206 with the wrong Content-Length.",
            expected=f"Content-Length: {last - first + 1}",
            got=f"Content-Length: {response.headers.get('content-length', '(none)')}",
            next="Content-Length is the length of the part, not of the blob",
        )


def expect_headers(response: httpx.Response, blob: SpyBlob, what: str) -> None:
    wanted = {"accept-ranges": "bytes", "etag": blob.etag, "last-modified": blob.last_modified_http}
    for name, value in wanted.items():
        if response.headers.get(name) != value:
            proper = {"accept-ranges": "Accept-Ranges", "etag": "ETag", "last-modified": "Last-Modified"}[name]
            raise Failure(
                f"{what} answered without the right {proper} header.",
                expected=f"{proper}: {value}",
                got=f"{proper}: {response.headers[name]}" if name in response.headers else f"no {proper} header",
                next=f"send {proper} on every answer ({'blob.etag' if name == 'etag' else 'blob.last_modified_http' if name == 'last-modified' else 'the literal bytes'})",
            )


def expect_reads_inside(blob: SpyBlob, allowed: list[tuple[int, int]], what: str) -> None:
    outside = blob.reads.outside(allowed)
    if outside is not None:
        spans = ", ".join(f"{first}-{last}" for first, last in allowed)
        raise Failure(
            f"{what} read bytes outside the range from the database.",
            expected=f"reads inside bytes {spans} only",
            got=f"a read of bytes {outside[0]}-{outside[1]}",
            next="seek to first and read at most the bytes left in the range, in chunks (read_range does)",
        )


def expect_flat(peak: int, bound: int, what: str) -> None:
    if peak > bound:
        raise Failure(
            f"{what} took more than {size(bound)} of memory at its peak.",
            expected=f"under {size(bound)}: the body read and sent a chunk at a time",
            got="more: the range was read (or built) at once",
            next="return a StreamingResponse over read_range(blob, first, last), which reads 256 KiB at a time",
        )


def stream_digest(server, path: str, headers: dict[str, str], what: str) -> tuple[int, str, int]:
    """(status, sha256 of the body, body length), read a chunk at a time and dropped."""
    digest, n = hashlib.sha256(), 0
    try:
        with server.client.stream("GET", path, headers=headers) as response:
            for chunk in response.iter_raw():
                digest.update(chunk)
                n += len(chunk)
            return response.status_code, digest.hexdigest(), n
    except httpx.RemoteProtocolError as exc:
        raise broke_off(what, exc) from None


BIG = 8 * MiB
SMALL = 4096


@case("3.2")
def check_send_blob(send_blob, ctx) -> str:
    seen: dict[str, Any] = {}
    with workdir() as folder:
        data, big_data = sample_bytes(SMALL, seed=3), sample_bytes(BIG, seed=4)
        blobs = make_blobs(folder, [("small.bin", data, "application/octet-stream"),
                                    ("big.bin", big_data, "application/octet-stream")])  # fmt: skip
        by_id = {blob.id: blob for blob in blobs}
        small, big = blobs
        server = serve_blobs(ctx, lambda request, i: send_blob(request, by_id[i]), "send_blob", seen)

        def fetch(method: str = "GET", blob: SpyBlob = small, **headers: str) -> tuple[httpx.Response, str]:
            headers = {k.replace("_", "-").title().replace("Etag", "ETag"): v for k, v in headers.items()}
            return _request(server, method, blob, headers, seen, "send_blob"), _words(method, headers)

        response, what = fetch()
        expect_whole(response, data, what, "no Range, no part")
        expect_headers(response, small, what)
        if response.headers.get("content-length") != str(SMALL):
            raise Failure(f"{what} answered without Content-Length: {SMALL}.", expected=f"Content-Length: {SMALL}",
                          got=f"Content-Length: {response.headers.get('content-length', '(none)')}",
                          next="send Content-Length so a client knows the size before resuming")  # fmt: skip

        for header, (first, last) in (("bytes=0-99", (0, 99)), ("bytes=-500", (3596, 4095)),
                                      ("bytes=4000-9999", (4000, 4095)), ("bytes=1000-", (1000, 4095))):  # fmt: skip
            response, what = fetch(range=header)
            expect_part(response, data, first, last, what)
            expect_headers(response, small, what)
            expect_reads_inside(small, [(first, last)], what)

        response, what = fetch(range="bytes=5000-")
        if response.status_code != 416 or response.headers.get("content-range") != f"bytes */{SMALL}":
            raise Failure(
                f"{what} answered {_describe(response)}.",
                expected=f"416 Range Not Satisfiable, Content-Range: bytes */{SMALL}",
                got=_describe(response) if response.status_code == 416 else f"{_describe(response)}",
                next="when parse_range says unsatisfiable, answer 416 with Content-Range: bytes */size",
            )
        response, what = fetch(range="items=0-5")
        expect_whole(response, data, what, "an unknown range unit MUST be ignored (RFC 9110 §14.2)")

        response, what = fetch("HEAD")
        if response.status_code != 200 or response.headers.get("content-length") != str(SMALL):
            raise Failure(
                f"{what} answered {response.status_code}, Content-Length: {response.headers.get('content-length', '(none)')}.",
                expected=f"200 and the headers a GET gets, Content-Length: {SMALL}",
                got=f"{response.status_code}, Content-Length: {response.headers.get('content-length', '(none)')}",
                next="for HEAD return Response(b'', status_code=..., headers=...) with the GET's Content-Length",
            )
        expect_headers(response, small, what)
        if small.reads.spans:
            raise Failure(
                f"{what} read {sum(n for _, n in small.reads.spans)} bytes from the database for an answer with no body.",
                expected="no reads: HEAD sends the headers only",
                got=f"{len(small.reads.spans)} reads",
                next="for HEAD return Response(b'', ...) instead of streaming the blob",
            )

        response, what = fetch("HEAD", range="bytes=0-99")
        if response.status_code != 200 or "content-range" in response.headers:
            raise Failure(
                f"{what} answered {_describe(response)}.",
                expected=f"200 and the headers of a GET without Range, Content-Length: {SMALL}, no Content-Range",
                got=_describe(response),
                next="apply Range to GET only: it is the one method range handling is defined for (RFC 9110 §14.2)",
            )

        cases = [
            ({"if_range": small.etag}, True, "the ETag matches"),
            ({"if_range": "W/" + small.etag}, False, "a weak entity tag never matches (RFC 9110 §13.1.5)"),
            ({"if_range": '"another-version"'}, False, "another entity tag: the blob changed"),
            ({"if_range": small.last_modified_http}, True, "the date equals Last-Modified"),
            ({"if_range": email.utils.formatdate(LAST_MODIFIED + 3600, usegmt=True)}, False, "another date"),
            ({"if_range": "yesterday"}, False, "not a date: no match"),
        ]
        for extra, applies, why in cases:
            response, what = fetch(range="bytes=0-99", **extra)
            if applies:
                expect_part(response, data, 0, 99, what)
            else:
                expect_whole(response, data, what, f"If-Range does not match: {why}")

        response, what = fetch("POST", range="bytes=0-99")
        expect_whole(response, data, what, "only GET applies Range (RFC 9110 §14.2)")

        first, last = 1000, 2999
        response, what = fetch(blob=big, range=f"bytes={first}-{last}")
        expect_part(response, big_data, first, last, what)
        expect_reads_inside(big, [(first, last)], what)

        bound = 3 * MiB
        for headers in ({}, {"Range": f"bytes=1000-{BIG - 1001}"}):
            what = _words("GET", headers) + f" on {size(BIG)}"
            big.reads.clear()
            with peak_memory() as peak:
                status, digest, n = stream_digest(server, f"/blob/{big.id}", headers, what)
            after_request(seen, "send_blob")
            expect_flat(peak[0], bound, what)
            first, last = (0, BIG - 1) if not headers else (1000, BIG - 1001)
            if digest != hashlib.sha256(big_data[first : last + 1]).hexdigest() or status != (206 if headers else 200):
                raise Failure(f"{what} answered {status} with the wrong {n} bytes.",
                              expected=_expected_206(first, last, BIG) if headers else f"200 with {BIG} bytes",
                              got=f"{status}, {n} bytes", next="stream exactly the bytes of the range")  # fmt: skip
            expect_reads_inside(big, [(first, last)], what)
    return (
        "200 with Accept-Ranges, ETag, Last-Modified, Content-Length; 206 for 4 ranges with the right "
        "Content-Range and bytes; 416 with bytes */4096; unknown unit ignored; HEAD without reading; If-Range "
        f"by ETag and date (weak never); POST ignores Range; reads inside the range; {size(BIG)} under "
        f"{size(bound)} of memory."
    )


# -- 3.3 multipart/byteranges ---------------------------------------------------------------------------


def parse_multipart(response: httpx.Response, what: str) -> tuple[str, list[Any]]:
    content_type = response.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/byteranges"):
        raise Failure(
            f"{what} answered with Content-Type {content_type or '(none)'!r}.",
            expected="Content-Type: multipart/byteranges; boundary=<boundary>",
            got=content_type or "no Content-Type header",
            next="set media_type=f'multipart/byteranges; boundary={boundary}'",
        )
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise Failure(
            f"{what} names no boundary in its Content-Type.",
            expected="Content-Type: multipart/byteranges; boundary=<boundary>",
            got=content_type,
            next="add the boundary parameter: the parser needs it to find the parts",
        )
    boundary = match[1]
    body = response.content
    if not body.rstrip(b"\r\n").endswith(f"--{boundary}--".encode()):
        raise Failure(
            f"{what} does not end with the closing delimiter.",
            expected="the body ending with --{boundary}--",
            got=f"...{body[-24:]!r}",
            next="after the last part send b'--' + boundary + b'--\\r\\n'",
        )
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    parts = list(message.iter_parts()) if message.is_multipart() else []
    return boundary, parts


@case("3.3")
def check_byteranges_response(byteranges_response, ctx) -> str:
    seen: dict[str, Any] = {}
    with workdir() as folder:
        data, big_data = sample_bytes(SMALL, seed=5), sample_bytes(BIG, seed=6)
        blobs = make_blobs(folder, [("small.bin", data, "application/octet-stream"),
                                    ("big.bin", big_data, "video/webm")])  # fmt: skip
        small, big = blobs
        asked = {1: [(0, 9), (100, 104)], 2: [(3000, 3099), (0, 49), (1000, 1000)],
                 3: [(0, 3 * MiB - 1), (4 * MiB, 7 * MiB - 1)]}  # fmt: skip
        blob_for = {1: small, 2: small, 3: big}

        def call(request, case):
            return byteranges_response(blob_for[case], list(asked[case]))

        server = serve_blobs(ctx, call, "byteranges_response", seen)
        for case in (1, 2):
            ranges = asked[case]
            what = "ranges " + ", ".join(f"{f}-{l}" for f, l in ranges)
            small.reads.clear()
            try:
                response = server.client.get(f"/blob/{case}")
            except httpx.RemoteProtocolError as exc:
                after_request(seen, "byteranges_response")
                raise broke_off(what, exc) from None
            after_request(seen, "byteranges_response")
            if response.status_code != 206:
                raise Failure(f"{what} answered {response.status_code}.", expected="206 Partial Content",
                              got=f"{response.status_code}", next="pass status_code=206")  # fmt: skip
            length = response.headers.get("content-length")
            if length is not None and length != str(len(response.content)):
                raise Failure(
                    f"{what}: Content-Length says {length} but the body has {len(response.content)} bytes.",
                    expected=f"Content-Length: {len(response.content)} (or none at all)",
                    got=f"Content-Length: {length}",
                    next="count every byte: part heads, data, the CRLF after each part and the closing delimiter",
                )
            boundary, parts = parse_multipart(response, what)
            if len(parts) != len(ranges):
                raise Failure(
                    f"{what}: a multipart parser found {len(parts)} parts.",
                    expected=f"{len(ranges)} parts, one per range",
                    got=f"{len(parts)} parts",
                    next="each part starts on a new line: CRLF after the data, then --boundary",
                )
            for number, ((first, last), part) in enumerate(zip(ranges, parts), start=1):
                want_range = f"bytes {first}-{last}/{SMALL}"
                if part.get("content-range") != want_range:
                    raise Failure(
                        f"{what}: part {number} has the wrong Content-Range.",
                        expected=f"Content-Range: {want_range}",
                        got=f"Content-Range: {part.get('content-range')}" if part.get("content-range") else "none",
                        next="one Content-Range per part, in the order of the ranges given, last included",
                    )
                if part.get("content-type") != small.media_type:
                    raise Failure(
                        f"{what}: part {number} has the wrong Content-Type.",
                        expected=f"Content-Type: {small.media_type}",
                        got=f"Content-Type: {part.get('content-type')}" if part.get("content-type") else "none",
                        next="each part carries the blob's own media type (blob.media_type)",
                    )
                payload = part.get_payload(decode=True)
                if payload != data[first : last + 1]:
                    raise Failure(
                        f"{what}: part {number} holds the wrong bytes.",
                        expected=f"bytes {first}-{last} ({last - first + 1} bytes)",
                        got=f"{len(payload or b'')} bytes" + (", not those" if len(payload or b"") == last - first + 1 else ""),
                        next="read_range(blob, first, last) for each part; then b'\\r\\n' before the next delimiter",
                    )
            expect_reads_inside(small, ranges, what)

        ranges = asked[3]
        what = f"ranges 0-{3 * MiB - 1}, {4 * MiB}-{7 * MiB - 1} of {size(BIG)}"
        bound = 3 * MiB
        big.reads.clear()
        with peak_memory() as peak:
            status, digest, n = stream_digest(server, "/blob/3", {}, what)
        after_request(seen, "byteranges_response")
        expect_flat(peak[0], bound, what)
        expect_reads_inside(big, ranges, what)
        if n < 6 * MiB:
            raise Failure(f"{what}: the body had only {n} bytes.", expected="over 6 MiB",
                          got=f"{n} bytes", next="send every byte of every range")  # fmt: skip
    return (
        "parts parsed by the email package with the right Content-Type, Content-Range and bytes, in the order "
        f"asked; Content-Length exact; reads inside the ranges; {size(6 * MiB)} of parts under "
        f"{size(bound)} of memory."
    )


# -- 3.4 a resumable client ---------------------------------------------------------------------------

PRE = 100 * KiB


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


@case("3.4")
def check_download(download, ctx) -> str:
    files = FaultyFiles()
    server = ctx.serve(files.app)
    with workdir() as folder:
        dest = folder / "video.webm"
        dest.with_name(dest.name + ".part").write_bytes(files.v1[:PRE])
        dest.with_name(dest.name + ".part.validator").write_text('"v1"')
        progress: list[tuple[int, Any]] = []
        raised: BaseException | None = None
        try:
            got = download(server.url + "/file", dest, on_progress=lambda done, total: progress.append((done, total)),
                           attempts=4, backoff=0.01)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - what the requests show is the better story; see below
            raised = exc
        if raised is not None and not files.log:
            raise raised
        expect_resumed_well(files.log)
        if isinstance(raised, httpx.TransportError):
            exc, sent = raised, files.log[-1]["sent"] if files.log else 0
            raise Failure(
                f"download raised {type(exc).__name__} when the server cut the connection after {sent} bytes.",
                expected="a retry that asks for the rest with Range",
                got=f"{type(exc).__name__} after {len(files.log)} request{'s' if len(files.log) != 1 else ''}",
                next="catch httpx.TransportError around each attempt, sleep, and try again",
            ) from None
        if raised is not None:
            raise raised
        log = files.log
        if len(log) > 8:
            raise Failure(f"download made {len(log)} requests for 4 cuts and 1 change.", expected="at most 8",
                          got=f"{len(log)}", next="resume each time from what .part holds")  # fmt: skip
        if not dest.exists() or dest.read_bytes() != files.v2:
            have = dest.stat().st_size if dest.exists() else None
            raise Failure(
                "the downloaded file is not byte-identical to the final version of the file.",
                expected=f"{len(files.v2)} bytes, sha256 {hashlib.sha256(files.v2).hexdigest()[:16]}…",
                got="no file at dest" if have is None else f"{have} bytes that differ",
                next="append only a 206 whose Content-Range starts where .part ends; restart on a 200",
            )
        if got != hashlib.sha256(files.v2).hexdigest():
            raise Failure("download returned the wrong value.", expected="the sha256 of the file, as hex",
                          got=f"{got!r:.70}", next="return hashlib.sha256(...).hexdigest() of the file")  # fmt: skip
        if left := _sidecars(dest):
            raise Failure("download left its working files behind.", expected="no .part or .part.validator file",
                          got=", ".join(p.name for p in left), next="os.replace(.part, dest) and delete the validator")  # fmt: skip
        if not progress or progress[-1] != (len(files.v2), len(files.v2)):
            raise Failure(
                "the progress reports do not end at the full size.",
                expected=f"a last call on_progress({len(files.v2)}, {len(files.v2)})",
                got=f"the last call was on_progress{progress[-1]}" if progress else "no call",
                next="call on_progress(bytes in .part, total size) after each chunk written",
            )

        bad = folder / "corrupt.bin"
        try:
            download(server.url + "/corrupt", bad, attempts=2, backoff=0.01)
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
        plain = folder / "plain.bin"
        try:
            download(server.url + "/plain", plain, sha256="0" * 64, attempts=2, backoff=0.01)
        except ValueError:
            pass
        else:
            raise Failure("download(..., sha256=...) accepted a file with another sha256.",
                          expected="ValueError", got="download returned normally",
                          next="compare with the sha256 argument when it is given")  # fmt: skip

        backoff = 0.05
        try:
            download(server.url + "/busy", folder / "busy.bin", attempts=3, backoff=backoff)
        except httpx.HTTPStatusError:
            pass
        except Exception as exc:  # noqa: BLE001 - any other error is the wrong one
            raise Failure("three 503 answers ended with the wrong error.", expected="httpx.HTTPStatusError",
                          got=f"{type(exc).__name__}: {exc}"[:100], next="re-raise the last error")  # fmt: skip
        else:
            raise Failure("three 503 answers were taken for a download.", expected="httpx.HTTPStatusError",
                          got="download returned normally", next="response.raise_for_status()")  # fmt: skip
        times = files.busy_times
        if len(times) != 3:
            raise Failure(
                f"a server answering 503 got {len(times)} requests with attempts=3.",
                expected="3 requests (5xx is worth retrying), then the error",
                got=f"{len(times)} requests",
                next="retry 5xx like a broken connection, and stop after `attempts` failures in a row",
            )
        gaps = [b - a for a, b in zip(times, times[1:])]
        if gaps[0] < 0.8 * backoff or gaps[1] < 0.8 * 2 * backoff:
            raise Failure(
                "the retries after a 503 did not wait long enough.",
                expected=f"a sleep of backoff ({backoff} s), then 2 * backoff, 4 * backoff, ...",
                got="retries sooner than that: a struggling server is hammered",
                next="time.sleep(backoff * 2 ** (failures - 1)) before each retry",
            )
        try:
            download(server.url + "/missing", folder / "missing.bin", attempts=3, backoff=backoff)
        except httpx.HTTPStatusError:
            pass
        else:
            raise Failure("a 404 answer was saved as a file.", expected="httpx.HTTPStatusError",
                          got="download returned normally", next="response.raise_for_status()")  # fmt: skip
        if files.missing_count != 1:
            raise Failure(f"a 404 answer was retried ({files.missing_count} requests).", expected="1 request",
                          got=f"{files.missing_count} requests", next="retry only 5xx and broken connections")  # fmt: skip
    return (
        f"resumed at byte {PRE} with If-Range; {len(log)} requests through 4 cuts and a change (200 restarted "
        "the file); final file identical, sha256 returned, no .part left; Repr-Digest and sha256= mismatches "
        "raised ValueError; 503 retried 3 times with growing sleeps; 404 raised at once."
    )
