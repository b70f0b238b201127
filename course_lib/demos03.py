"""Demo harnesses for notebooks/03_range_requests.ipynb: header dumps, the FileResponse comparison table,
the sample blob database and the cut-then-replace experiment.

The notebook keeps the lesson itself in its cells (the range parser, `ranged_response`, the readers, the
resuming client); what only sets up or prints an experiment lives here.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ._server import LiveServer
from .measure import MiB

__all__ = ["compare_with_rfc", "cut_then_replace", "make_blob_db", "show"]

#: The headers `show` prints, when the response has them.
SHOWN = ("content-range", "content-length", "content-type", "accept-ranges", "etag", "last-modified")

#: (label, file, method, headers, statuses RFC 9110 allows, section); ETAG and DATE stand for the file's own.
Case = tuple[str, str, str, dict[str, str], set[int], str]


def show(server: LiveServer, path: str, method: str = "GET", **headers: str) -> httpx.Response:
    """Send one request (keyword names become headers: If_Range= is If-Range) and print its status and range headers."""
    headers = {name.replace("_", "-"): value for name, value in headers.items()}
    response = server.client.request(method, path, headers=headers)
    asked = ", ".join(f"{k}: {v}" for k, v in headers.items()) or "no Range"
    print(f"{method} {path} [{asked}] -> {response.status_code}")
    for name in SHOWN:
        if name in response.headers:
            print(f"    {name}: {response.headers[name]}")
    return response


def _part_ranges(response: httpx.Response) -> list[str]:
    """The Content-Range of each part of a multipart/byteranges body, in the order sent: ['20-29', '0-9']."""
    return [part.decode() for part in re.findall(rb"Content-Range: bytes (\d+-\d+)/", response.content, flags=re.I)]


def _summary(response: httpx.Response) -> str:
    """'206 0-99/10000', '200 octet-stream', '206 parts 20-29,0-9': a status and what came back."""
    if response.headers.get("content-type", "").startswith("multipart/byteranges"):
        return f"{response.status_code} parts {','.join(_part_ranges(response))}"
    extra = response.headers.get("content-range") or response.headers.get("content-type", "").split(";")[0]
    return f"{response.status_code} {extra.replace('bytes ', '').replace('application/', '')}"


def _in_order_asked(response: httpx.Response, headers: dict[str, str]) -> bool:
    """Multipart parts in the order of the Range header's ranges (RFC 9110 §15.3.7.2 SHOULD), when none merged."""
    if not response.headers.get("content-type", "").startswith("multipart/byteranges"):
        return True
    asked = [r.strip() for r in headers.get("Range", "").partition("=")[2].split(",")]
    return _part_ranges(response) == asked


def compare_with_rfc(server: LiveServer, cases: list[Case], fresh: Path) -> list[str]:
    """Send each case to /files/ and /stock/files/, print a row per case; return the cases FileResponse departs on."""
    print(f"{'request':<33} {'RFC 9110':<36} {'reference':<22} {'FileResponse':<22} verdict")
    departures = []
    for label, name, method, headers, allowed, section in cases:
        row = []
        for route in ("files", "stock/files"):
            if name == "fresh":
                os.utime(fresh)  # modified just now
            current = server.client.head(f"/{route}/{name}-10000.bin").headers
            sent = {k: v.replace("ETAG", current["etag"]).replace("DATE", current["last-modified"])
                    for k, v in headers.items()}
            row.append(server.client.request(method, f"/{route}/{name}-10000.bin", headers=sent))
        reference, stock = row
        verdict = "ok" if stock.status_code in allowed and _in_order_asked(stock, headers) else "DEPARTS"
        if verdict == "DEPARTS":
            departures.append(label)
        rfc = "/".join(map(str, sorted(allowed))) + " " + section
        print(f"{label:<33} {rfc:<36} {_summary(reference):<22} {_summary(stock):<22} {verdict}")
    return departures


def make_blob_db(path: Path, first_mib: Path, mib: int = 64) -> Path:
    """An SQLite file with one `mib` MiB blob (id 1): `first_mib`'s bytes, then each MiB's offset; built once."""
    if path.exists():
        return path
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        with conn:
            conn.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB, modified REAL)")
            conn.execute("INSERT INTO blobs VALUES (1, zeroblob(?), 1700000000)", (mib * MiB,))
            with conn.blobopen("blobs", "data", 1) as blob:
                for offset in range(0, mib * MiB, MiB):
                    blob.write(first_mib.read_bytes() if offset == 0 else offset.to_bytes(8, "big") * (MiB // 8))
    finally:
        conn.close()
    os.replace(tmp, path)
    return path


def cut_then_replace(server: LiveServer, url: str, served: Path, original: Path, dest: Path, faults: dict[str, int],
                     resume: Callable[[Path, str], Any]) -> Any:  # fmt: skip
    """Reset `served` to `original`, cut a download of `url` at 1 MiB, replace `served`, return `resume(dest, sha)`."""
    served.write_bytes(original.read_bytes())
    for leftover in dest.parent.glob(dest.name + "*"):
        leftover.unlink()
    faults.update(cuts=1, cut_after=MiB)
    with server.client.stream("GET", url) as response:  # the first, cut attempt
        validator = response.headers["etag"]
        with open(dest.with_name(dest.name + ".part"), "wb") as f:
            try:
                for chunk in response.iter_bytes():
                    f.write(chunk)
            except httpx.TransportError:
                pass
    dest.with_name(dest.name + ".validator").write_text(validator)
    new = os.urandom(served.stat().st_size)
    tmp = served.with_name("new.tmp")
    tmp.write_bytes(new)
    os.replace(tmp, served)  # replaced in one step, as deploy tools do
    return resume(dest, hashlib.sha256(new).hexdigest())
