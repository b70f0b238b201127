"""The blobs 3.2 and 3.3 serve: the check's own, whose readers record every read, so "never read outside
the range" is measured, not guessed."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...support.ch03 import Blob

LAST_MODIFIED = 1_700_000_000  # Tue, 14 Nov 2023 22:13:20 GMT
OCTETS = "application/octet-stream"


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
    """A blob reader (seek, tell, read, close, `with`) that notes each read in `reads`."""

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
class SpyBlob(Blob):
    """The exercise's Blob, but its readers record what they read."""

    reads: Reads = field(compare=False, repr=False, default_factory=Reads)

    def open(self) -> SpyReader:
        conn = sqlite3.connect(self.db_path, check_same_thread=False)
        return SpyReader(conn, conn.blobopen("blobs", "data", self.id, readonly=True), self.reads)


def make_blobs(folder: Path, files: list[tuple[str, bytes, str]]) -> list[SpyBlob]:
    """`files` (name, bytes, media type) stored in folder/blobs.sqlite, as SpyBlobs with ids 1, 2, ..."""
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
