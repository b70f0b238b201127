"""Chapter 3 — Range requests: serving part of a file, several parts at once, and resuming a download.

Each function below is an exercise of notebooks/03_range_requests.ipynb; check one with
check("3.1") in the notebook or `.venv/bin/python -m course_lib check 3.1` in a terminal.

The rules come from RFC 9110: §14.1 (range units, `Range: bytes=...`), §14.2 (Range), §14.4
(Content-Range), §13.1.5 (If-Range), §15.3.7 (206 Partial Content) and §15.5.17 (416).
Ranges are inclusive pairs (first, last), as on the wire: `bytes=0-99` is the first 100 bytes.
"""

import base64
import email.utils
import hashlib
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

#: More range-specs than this in one Range header and it is ignored (the whole file is sent instead).
MAX_RANGES = 50
#: More ranges than this that are not listed in ascending order and the Range header is ignored.
MAX_UNSORTED = 10
#: How much of a blob is read (and sent) at a time.
CHUNK_SIZE = 256 * 1024


class RangeResult(NamedTuple):
    """What parse_range() decided.

    kind: "ranges"        -> answer 206 with `ranges`, inclusive (first, last) pairs
          "ignore"        -> answer as if there were no Range header (200, the whole representation)
          "unsatisfiable" -> answer 416 with Content-Range: bytes */<size>
    `ranges` is [] unless kind == "ranges".  A plain tuple compares equal: ("ranges", [(0, 99)]).
    """

    kind: str
    ranges: list[tuple[int, int]]


@dataclass(frozen=True)
class Blob:
    """A file stored in the `blobs` table of an SQLite database: its metadata, and a way to read it.

    `open()` returns a reader with seek(offset) and read(n) that never loads more than you ask for
    (sqlite3's incremental blob I/O); close it when done (`with blob.open() as reader:`).
    `etag` is a strong entity tag, quotes included ('"6f1ed002ab5595859014ebf0951522d9"');
    `last_modified` is seconds since the epoch (a whole number).
    """

    db_path: Path
    id: int
    name: str
    size: int
    media_type: str
    etag: str
    last_modified: int

    def open(self):
        conn = sqlite3.connect(self.db_path, check_same_thread=False)
        try:
            return _BlobReader(conn, conn.blobopen("blobs", "data", self.id, readonly=True))
        except BaseException:
            conn.close()
            raise

    @property
    def last_modified_http(self) -> str:
        """last_modified as an HTTP-date: 'Tue, 15 Nov 1994 08:12:31 GMT'."""
        return email.utils.formatdate(self.last_modified, usegmt=True)


class _BlobReader:
    def __init__(self, conn: sqlite3.Connection, blob) -> None:
        self._conn, self._blob = conn, blob

    def seek(self, offset: int) -> None:
        self._blob.seek(offset)

    def read(self, n: int = -1) -> bytes:
        return self._blob.read(n)

    def close(self) -> None:
        self._blob.close()
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def make_blobs_db(path: Path, files: dict[str, tuple[bytes, str]], last_modified: int = 1_700_000_000) -> Path:
    """Create (or replace) `path` with a `blobs` table holding `files`: {name: (bytes, media type)}."""
    path = Path(path)
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "CREATE TABLE blobs (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, media_type TEXT NOT NULL, "
            "etag TEXT NOT NULL, last_modified INTEGER NOT NULL, data BLOB NOT NULL)"
        )
        for name, (data, media_type) in files.items():
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            conn.execute(
                "INSERT INTO blobs (name, media_type, etag, last_modified, data) VALUES (?, ?, ?, ?, ?)",
                (name, media_type, etag, last_modified, data),
            )
    conn.close()
    return path


def load_blob(db_path: Path, blob_id: int) -> Blob | None:
    """The blob with this id, or None."""
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(
            "SELECT id, name, length(data), media_type, etag, last_modified FROM blobs WHERE id = ?", (blob_id,)
        ).fetchone()
    finally:
        conn.close()
    return Blob(Path(db_path), *row) if row else None


def read_range(blob: Blob, first: int, last: int, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield bytes first..last (both included) of `blob`, at most `chunk_size` at a time, reading nothing else."""
    with blob.open() as reader:
        reader.seek(first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = reader.read(min(chunk_size, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


# -- 3.1 ------------------------------------------------------------------------------------------------

_INT_RANGE = re.compile(r"([0-9]+)-([0-9]*)")
_SUFFIX_RANGE = re.compile(r"-([0-9]+)")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def parse_range(header: str | None, size: int) -> RangeResult:
    """Read a Range header for a representation of `size` bytes, as RFC 9110 §14.1-14.2 says.

    Returns RangeResult(kind, ranges) (see RangeResult); for size = 10000:
        "bytes=0-99"            -> ("ranges", [(0, 99)])
        "bytes=9500-"           -> ("ranges", [(9500, 9999)])          open-ended: to the end
        "bytes=-500"            -> ("ranges", [(9500, 9999)])          suffix: the last 500 bytes
        "bytes=9000-20000"      -> ("ranges", [(9000, 9999)])          last-pos past the end is clamped
        "bytes=500-599,0-99"    -> ("ranges", [(500, 599), (0, 99)])   request order kept
        "bytes=0-99,50-199"     -> ("ranges", [(0, 199)])              overlapping or adjacent: coalesced
        "bytes=0-9,20000-"      -> ("ranges", [(0, 9)])                unsatisfiable parts are dropped
        "bytes=20000-"          -> ("unsatisfiable", [])               no part overlaps the file -> 416
        "bytes=-0"              -> ("unsatisfiable", [])
        "items=0-5", None, ""   -> ("ignore", [])                      unknown unit / no header: MUST ignore
        "bytes=5-4", "bytes=a-" -> ("ignore", [])                      invalid: we choose to ignore (200)
    Syntax: the unit is matched case-insensitively; a range-spec is DIGITs "-" [DIGITs] or "-" DIGITs,
    nothing else (no spaces, signs or '_' inside); spaces around commas and empty list elements are fine.
    One invalid range-spec makes the whole header invalid.
    Denial-of-service guards (§14.2 allows ignoring them), all answered with ("ignore", []):
    more than MAX_RANGES range-specs; a byte asked for by three or more ranges; more than MAX_UNSORTED
    ranges not in ascending order.
    Empty representation (size 0): "bytes=0-" and "bytes=-0" are unsatisfiable; "bytes=-5" is
    satisfiable (§14.1.2: a non-zero suffix is the one satisfiable form) but 206 cannot express zero
    bytes, so it is ("ignore", []): the whole, empty representation with 200.
    """
    # TODO: decide what the Range header asks of a `size` byte representation, as a RangeResult.
    # parse_range("bytes=-500", 10000) -> ("ranges", [(9500, 9999)])

    def number(digits: str) -> int:
        """An ASCII digit string as an int; absurdly long ones (hostile headers) as a number bigger than any file."""
        digits = digits.lstrip("0") or "0"
        return int(digits) if len(digits) <= 30 else 10**30

    def covered_three_times(ranges: list[tuple[int, int]]) -> bool:
        """Whether some byte lies in three or more of `ranges`."""
        events = sorted([(first, 1) for first, _ in ranges] + [(last + 1, -1) for _, last in ranges],
                        key=lambda e: (e[0], e[1]))  # fmt: skip
        depth = 0
        for _, step in events:
            depth += step
            if depth >= 3:
                return True
        return False

    def coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Merge ranges that overlap or touch; each merged range takes the place of its earliest member."""
        merged: list[tuple[int, int]] = []
        for first, last in ranges:
            touching = [i for i, (f, l) in enumerate(merged) if f <= last + 1 and first <= l + 1]
            if not touching:
                merged.append((first, last))
                continue
            first = min([first] + [merged[i][0] for i in touching])
            last = max([last] + [merged[i][1] for i in touching])
            merged[touching[0]] = (first, last)
            for i in reversed(touching[1:]):
                del merged[i]
        return merged

    if header is None:
        return RangeResult("ignore", [])
    unit, equals, range_set = header.strip().partition("=")
    if not equals or not _TOKEN.fullmatch(unit) or unit.lower() != "bytes":
        return RangeResult("ignore", [])
    specs = [part.strip(" \t") for part in range_set.split(",")]
    specs = [spec for spec in specs if spec]
    if not specs or len(specs) > MAX_RANGES:
        return RangeResult("ignore", [])

    wanted: list[tuple[int, int]] = []
    suffix_on_empty = False
    for spec in specs:
        if match := _INT_RANGE.fullmatch(spec):
            first = number(match[1])
            last = number(match[2]) if match[2] else None
            if last is not None and last < first:
                return RangeResult("ignore", [])  # invalid range-spec: the whole header is invalid
            if first < size:
                wanted.append((first, size - 1 if last is None else min(last, size - 1)))
        elif match := _SUFFIX_RANGE.fullmatch(spec):
            length = number(match[1])
            if length > 0 and size > 0:
                wanted.append((max(size - length, 0), size - 1))
            elif length > 0:
                suffix_on_empty = True
        else:
            return RangeResult("ignore", [])
    if suffix_on_empty and not wanted:
        return RangeResult("ignore", [])
    if not wanted:
        return RangeResult("unsatisfiable", [])
    if covered_three_times(wanted):
        return RangeResult("ignore", [])
    if len(wanted) > MAX_UNSORTED and wanted != sorted(wanted):
        return RangeResult("ignore", [])
    return RangeResult("ranges", coalesce(wanted))


# -- 3.2 ------------------------------------------------------------------------------------------------


def send_blob(request: Request, blob: Blob) -> Response:
    """Answer a GET or HEAD for `blob`, sending only the part a Range header asks for.

    Mounted by the check as an endpoint that calls send_blob(request, blob).  For a 4096 byte blob:
        GET, no Range        -> 200, Content-Length: 4096, the whole blob
        Range: bytes=0-99    -> 206, Content-Range: bytes 0-99/4096, Content-Length: 100
        Range: bytes=5000-   -> 416, Content-Range: bytes */4096, no body
        Range with 2+ ranges -> byteranges_response(blob, ranges) (exercise 3.3)
    Every answer carries Accept-Ranges: bytes, ETag: blob.etag, Last-Modified: blob.last_modified_http
    and Content-Type: blob.media_type.
    If-Range: the Range applies only if its value is blob.etag or the Last-Modified date; anything else
    (a weak W/"..." tag, another tag or date) -> 200 with the whole blob.
    Only GET applies Range (§14.2): a HEAD or a POST with Range gets the same as without.  HEAD gets the
    headers a GET without Range would get, with no body.  No more of the blob is read than the range sent.
    """
    # TODO: answer 200, 206 or 416 for `blob`, as its Range and If-Range headers ask.
    # Range: bytes=0-99 on 4096 bytes -> 206, Content-Range: bytes 0-99/4096, the first 100 bytes

    def if_range_matches(value: str, blob: Blob) -> bool:
        """If-Range (§13.1.5): a strong ETag equal to the blob's, or exactly its Last-Modified date."""
        value = value.strip()
        if value.startswith("W/"):
            return False  # a weak entity tag never matches
        if value.startswith('"'):
            return value == blob.etag
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return False
        return when.tzinfo is not None and int(when.timestamp()) == blob.last_modified

    headers = {
        "Accept-Ranges": "bytes",
        "ETag": blob.etag,
        "Last-Modified": blob.last_modified_http,
    }
    head = request.method == "HEAD"
    result = RangeResult("ignore", [])
    if request.method == "GET":  # the only method for which range handling is defined (RFC 9110 §14.2)
        if_range = request.headers.get("if-range")
        if if_range is None or if_range_matches(if_range, blob):
            result = parse_range(request.headers.get("range"), blob.size)
    if result.kind == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{blob.size}"
        return Response(b"", status_code=416, headers=headers, media_type=blob.media_type)
    if result.kind == "ranges" and len(result.ranges) > 1:
        response = byteranges_response(blob, result.ranges)
        for name, value in headers.items():
            response.headers[name] = value
        if head:
            return Response(b"", status_code=206, headers=dict(response.headers))
        return response
    first, last, status = 0, blob.size - 1, 200
    if result.kind == "ranges":
        (first, last), status = result.ranges[0], 206
        headers["Content-Range"] = f"bytes {first}-{last}/{blob.size}"
    headers["Content-Length"] = str(last - first + 1)
    if head or blob.size == 0:
        return Response(b"", status_code=status, headers=headers, media_type=blob.media_type)
    return StreamingResponse(read_range(blob, first, last), status_code=status, headers=headers,
                             media_type=blob.media_type)  # fmt: skip


# -- 3.3 ------------------------------------------------------------------------------------------------


def byteranges_response(blob: Blob, ranges: list[tuple[int, int]]) -> Response:
    """A 206 whose body holds each of `ranges` (inclusive pairs, in this order) as a multipart/byteranges part.

    For a 4096 byte application/octet-stream blob and ranges [(0, 9), (100, 104)]:
        206, Content-Type: multipart/byteranges; boundary=3d6b6a416f9b5
             Content-Length: <the exact length of the body below>

        --3d6b6a416f9b5\\r\\n
        Content-Type: application/octet-stream\\r\\n
        Content-Range: bytes 0-9/4096\\r\\n
        \\r\\n
        <bytes 0-9>\\r\\n
        --3d6b6a416f9b5\\r\\n
        Content-Type: application/octet-stream\\r\\n
        Content-Range: bytes 100-104/4096\\r\\n
        \\r\\n
        <bytes 100-104>\\r\\n
        --3d6b6a416f9b5--\\r\\n
    The boundary is random (it must not occur in the data).  Each part's bytes are read only as they are sent.
    """
    # TODO: build the 206 whose multipart/byteranges body holds one part per range, in order.
    # [(0, 9), (100, 104)] of 4096 bytes -> 206, 2 parts: Content-Range: bytes 0-9/4096, then bytes 100-104/4096
    boundary = secrets.token_hex(16)
    heads = [
        (f"--{boundary}\r\nContent-Type: {blob.media_type}\r\n"
         f"Content-Range: bytes {first}-{last}/{blob.size}\r\n\r\n").encode("latin-1")
        for first, last in ranges
    ]  # fmt: skip
    tail = f"--{boundary}--\r\n".encode("latin-1")
    length = sum(len(head) + (last - first + 1) + 2 for head, (first, last) in zip(heads, ranges)) + len(tail)

    def parts() -> Iterator[bytes]:
        for head, (first, last) in zip(heads, ranges):
            yield head
            yield from read_range(blob, first, last)
            yield b"\r\n"
        yield tail

    return StreamingResponse(
        parts(),
        status_code=206,
        headers={"Content-Length": str(length)},
        media_type=f"multipart/byteranges; boundary={boundary}",
    )


# -- 3.4 ------------------------------------------------------------------------------------------------


class _Restart(Exception):
    """The partial file cannot be continued: start again from byte 0."""


def repr_digest(response: httpx.Response) -> str | None:
    """The sha-256 of the whole representation from `Repr-Digest: sha-256=:<base64>:` (RFC 9530), as hex."""
    for item in response.headers.get("repr-digest", "").split(","):
        name, _, value = item.strip().partition("=")
        if name.strip().lower() == "sha-256" and value.startswith(":") and value.endswith(":"):
            try:
                return base64.b64decode(value[1:-1], validate=True).hex()
            except ValueError:
                return None
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    on_progress: Callable[[int, int | None], object] | None = None,
    attempts: int = 5,
    backoff: float = 0.5,
) -> str:
    """Download `url` to `dest`, resuming after a broken connection, and return the file's sha256 (hex).

    The bytes go to `<dest>.part`; the ETag (or else Last-Modified) they belong to is kept in
    `<dest>.part.validator`.  If both exist when download starts (or after a broken attempt), the next
    request asks only for the rest: `Range: bytes=<size of .part>-` and `If-Range: <validator>`.
      206 -> append the body to .part (its Content-Range must start where .part ends).
      200 -> the file changed (or the server ignores Range): empty .part, write the body from byte 0.
      416 -> .part is no use: delete it and start again without Range.
    A connection that breaks or times out, or a 5xx status, is retried after sleeping
    backoff, 2 * backoff, 4 * backoff, ... seconds; `attempts` failures in a row that brought no new
    byte end the download by raising the last error (httpx.TransportError or httpx.HTTPStatusError).
    Another 4xx status raises httpx.HTTPStatusError at once.
    When .part is complete it is checked against `sha256` (hex) if given, else against the server's
    `Repr-Digest: sha-256=:<base64>:` if it sent one; a mismatch deletes .part and raises ValueError.
    Then .part is renamed to `dest` in one step, so `dest` never holds a partial or corrupt file.
    on_progress(bytes in .part, total size or None) is called after every chunk written.
    """
    # TODO: download `url` to `dest`, carrying on where a broken attempt stopped; return the sha256.
    # The connection breaks at byte 300000 -> the next request asks for Range: bytes=300000-
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    validator_file = dest.with_name(dest.name + ".part.validator")
    failures = 0
    with httpx.Client(timeout=10.0) as client:
        while True:
            have = part.stat().st_size if part.exists() else 0
            validator = validator_file.read_text() if validator_file.exists() else None
            headers = {}
            if have and validator:
                headers = {"Range": f"bytes={have}-", "If-Range": validator}
            progressed = False
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 416:
                        raise _Restart()
                    response.raise_for_status()
                    if response.status_code == 206:
                        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", response.headers.get("content-range", ""))
                        if not match or int(match[1]) != have:
                            raise _Restart()
                        total = int(match[3]) if match[3] != "*" else None
                        mode = "ab"
                    else:
                        have = 0
                        length = response.headers.get("content-length")
                        total = int(length) if length and length.isdigit() else None
                        mode = "wb"
                    new_validator = response.headers.get("etag") or response.headers.get("last-modified")
                    if new_validator and not new_validator.startswith("W/"):
                        validator_file.write_text(new_validator)
                    else:
                        validator_file.unlink(missing_ok=True)
                    digest = sha256 or repr_digest(response)
                    with open(part, mode) as f:
                        for chunk in response.iter_bytes():
                            f.write(chunk)
                            have += len(chunk)
                            progressed = True
                            if on_progress is not None:
                                on_progress(have, total)
            except _Restart:
                part.unlink(missing_ok=True)
                validator_file.unlink(missing_ok=True)
                failures += 1
                if failures >= attempts:
                    raise ValueError(f"{url}: the server would not continue the partial download") from None
                continue
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code < 500:
                    raise
                failures = 0 if progressed else failures + 1
                if failures >= attempts:
                    raise
                time.sleep(backoff * 2 ** max(failures - 1, 0))
                continue
            got = file_sha256(part)
            if digest is not None and got != digest.lower():
                part.unlink(missing_ok=True)
                validator_file.unlink(missing_ok=True)
                raise ValueError(f"{url}: sha256 of the download is {got}, expected {digest.lower()}")
            os.replace(part, dest)
            validator_file.unlink(missing_ok=True)
            return got
