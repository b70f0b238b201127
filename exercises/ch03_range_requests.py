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
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError
