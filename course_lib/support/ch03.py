"""What chapter 3's exercises build on (exercises/ch03_range_requests.py imports it): the limits a Range
header is held to, the RangeResult parse_range() returns, blobs stored in SQLite and read a range at a time,
and the two helpers download() uses to verify what it fetched."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import httpx

__all__ = [
    "CHUNK_SIZE",
    "MAX_RANGES",
    "MAX_UNSORTED",
    "Blob",
    "RangeResult",
    "file_sha256",
    "load_blob",
    "make_blobs_db",
    "read_range",
    "repr_digest",
]

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
    """The sha256 of the file at `path`, as hex, read 1 MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
