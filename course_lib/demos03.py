"""Demo harnesses for notebooks/03_range_requests.ipynb: header dumps, the FileResponse comparison table,
the sample blob database and the cut-then-replace experiment.

The notebook keeps the lesson itself in its cells (the range parser, `ranged_response`, the readers, the
resuming client); what only sets up or prints an experiment lives here.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import sqlite3
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ._server import LiveServer
from .measure import MiB

__all__ = ["CHANGES", "change_during_download", "compare_with_rfc", "cut_then_replace", "make_blob_db", "show"]

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


# -- a file that changes while it is being sent -----------------------------------------------------------------


def _shrink(path: Path, new: bytes) -> None:
    with open(path, "r+b") as f:
        f.truncate(len(new) // 4)


def _grow(path: Path, new: bytes) -> None:
    with open(path, "ab") as f:
        f.write(new[: len(new) // 4])


def _rewrite_in_place(path: Path, new: bytes) -> None:
    with open(path, "r+b") as f:  # same file, same size, other bytes: what an editor or `cp` over it does
        f.write(new)


def _replace_by_rename(path: Path, new: bytes) -> None:
    fresh = path.with_name(path.name + ".new")
    fresh.write_bytes(new)
    os.replace(fresh, path)  # a new file (a new inode) takes the name; whoever has the old one open keeps it


#: What happens to the file once the client has 1 MiB of it: label -> change(path, new bytes of the same size).
CHANGES: dict[str, Callable[[Path, bytes], None]] = {
    "shrunk to a quarter": _shrink,
    "grown by a quarter": _grow,
    "rewritten in place": _rewrite_in_place,
    "replaced (rename)": _replace_by_rename,
}


def _common_prefix(a: bytes, b: bytes, block: int = 64 * 1024) -> int:
    """How many leading bytes `a` and `b` share (compared a block at a time, then byte by byte)."""
    n, end = 0, min(len(a), len(b))
    while n + block <= end and a[n : n + block] == b[n : n + block]:
        n += block
    while n < end and a[n] == b[n]:
        n += 1
    return n


def _what_arrived(body: bytes, old: bytes, new: bytes) -> str:
    if body == old:
        return "the old file, whole"
    if body == new:
        return "the new file, whole"
    head = _common_prefix(body, old)
    if head == len(body):
        return f"the old file's first {len(body) // MiB} MiB only" if len(body) >= MiB else "a piece of the old file"
    if body[head:] == new[head : len(body)]:
        return f"mixed: old bytes up to {head / MiB:.1f} MiB, then new ones"
    return f"mixed: old bytes up to {head / MiB:.1f} MiB, then old and new ones"


def change_during_download(url: str, path: Path, change: Callable[[Path, bytes], None], new: bytes,
                           after: int = MiB) -> dict[str, Any]:  # fmt: skip
    """GET `url` (which serves `path`) over a plain socket with a small receive buffer, apply `change(path, new)`
    once `after` body bytes have arrived, read on until the server ends or closes; say what the client got."""
    old = path.read_bytes()
    parts = urllib.parse.urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # before connect: the server cannot run far ahead
    sock.settimeout(20)
    with sock:
        sock.connect((parts.hostname, parts.port))
        sock.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        raw, changed, error = bytearray(), False, ""
        body_at = -1  # where the body starts in `raw`, once the headers are in
        while True:
            try:
                piece = sock.recv(64 * 1024)
            except OSError as exc:
                error = type(exc).__name__
                break
            if not piece:
                break
            raw += piece
            if body_at < 0 and (end := raw.find(b"\r\n\r\n")) >= 0:
                body_at = end + 4
            if body_at >= 0 and not changed and len(raw) - body_at >= after:
                change(path, new)
                changed = True
    head, body = bytes(raw[: body_at - 4]), bytes(raw[body_at:])
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    declared = int(headers.get("content-length", -1))
    return {"status": int(status_line.split()[1]), "declared": declared, "received": len(body),
            "ended": "complete" if len(body) == declared else f"cut at {len(body) / MiB:.1f} of {declared / MiB:.1f} MiB",
            "arrived": _what_arrived(body, old, new), "error": error}  # fmt: skip
