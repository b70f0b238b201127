"""Exercise 4.5 download: serve the regular files under one folder, and nothing else.

Requests go out over a plain socket (http.client), so the request target reaches uvicorn exactly as written:
httpx would remove the dot segments of `/files/../secret.txt` before sending.  The check verifies, for every
request, that the raw path the app saw is the one sent and that it reached the endpoint; every target is valid
HTTP/1.1 and matches /files/{path:path}, so the only acceptable refusal is the endpoint's own 404 -- no 400 or
405 from the framework can stand in for it.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from .._case import Failure, case
from .._endpoints import find_dependency
from .._tools import KiB, sample_bytes, size
from ._safety_http import connect, mount

SECRET = b"secret.txt: outside the root -- never to be served\n"
KEYS = b"files-secret/keys.txt: in a sibling folder whose name starts like the root's\n"
PRIVATE = b"private/db.txt: reached through a folder symlink inside the root\n"

LEGIT = [  # (target, file under the real root, what it shows)
    ("/files/readme.txt", "readme.txt", "a plain file"),
    ("/files/report%202024.csv", "report 2024.csv", "a name with a space"),
    ("/files/na%C3%AFve%20caf%C3%A9.txt", "naïve café.txt", "a non-ASCII name"),
    ("/files/data/deep/nested/blob.bin", "data/deep/nested/blob.bin", "a file three folders down"),
    ("/files/data/latest.bin", "data/deep/nested/blob.bin", "a symlink to a file inside the root"),
    ("/files/current/nested/blob.bin", "data/deep/nested/blob.bin", "a folder symlink inside the root"),
]

_TRAVERSAL = "resolve the joined path and refuse it unless it is_relative_to(root.resolve())"
_DECODED = "the path arrives percent-decoded: ..%2f is ../ by the time your function sees it; " + _TRAVERSAL
_ABSOLUTE = ("root / '/etc/passwd' is '/etc/passwd': a path that starts with / replaces the root; "
             "check where the resolved path lands")  # fmt: skip
_PREFIX = ("'…/files-secret/keys.txt' starts with '…/files' as a string: compare paths with "
           "Path.is_relative_to(), not str.startswith() or os.path.commonprefix()")  # fmt: skip
_SYMLINK = "resolve() follows symlinks, normpath()/abspath() and a '..' test do not: check the resolved path"
_FILES_ONLY = "serve regular files only: refuse unless target.is_file()"
_TWICE = "the path is percent-decoded once already; decoding it again (unquote) brings back ../ after your checks"
_NUL = "a NUL byte makes file calls raise ValueError: catch it, like OSError, and answer 404"
_LONG = "a name over 255 bytes raises OSError (File name too long): catch OSError around resolve() and answer 404"

ATTACKS = [  # (request target, advice); {abs} is the absolute path of the check's folder
    ("/files/../secret.txt", _TRAVERSAL),
    ("/files/../../../../../../../../etc/passwd", _TRAVERSAL),
    ("/files/..%2fsecret.txt", _DECODED),
    ("/files/%2e%2e/secret.txt", _DECODED),
    ("/files/%2e%2e%2fsecret.txt", _DECODED),
    ("/files/%2E%2E%2Fsecret.txt", _DECODED),
    ("/files/data/../../secret.txt", _TRAVERSAL),
    ("/files/./../secret.txt", _TRAVERSAL),
    ("/files/data/deep/../../../secret.txt", _TRAVERSAL),
    ("/files/%2e%2e", _TRAVERSAL),
    ("/files//etc/passwd", _ABSOLUTE),
    ("/files/%2fetc%2fpasswd", _ABSOLUTE),
    ("/files/{abs}/secret.txt", _ABSOLUTE),
    ("/files/../files-secret/keys.txt", _PREFIX),
    ("/files/..%2ffiles-secret%2fkeys.txt", _PREFIX),
    ("/files/escape.txt", _SYMLINK),
    ("/files/absolute.txt", _SYMLINK),
    ("/files/shared/db.txt", _SYMLINK),
    ("/files/data/up/secret.txt", _SYMLINK),
    ("/files/..%252fsecret.txt", _TWICE),
    ("/files/%252e%252e%252fsecret.txt", _TWICE),
    ("/files/%252e%252e/secret.txt", _TWICE),
    ("/files/....//secret.txt", _TRAVERSAL),
    ("/files/..;/secret.txt", _TRAVERSAL),
    ("/files/..\\secret.txt", _TRAVERSAL),
    ("/files/..%5csecret.txt", _TRAVERSAL),
    ("/files/C:%5CWindows%5Cwin.ini", _TRAVERSAL),
    ("/files/C:/Windows/win.ini", _TRAVERSAL),
    ("/files/%5C%5C127.0.0.1%5Cshare%5Csecret.txt", _TRAVERSAL),
    ("/files/%E2%80%A5/secret.txt", _TRAVERSAL),  # ‥ (two-dot leader)
    ("/files/%EF%BC%8E%EF%BC%8E%EF%BC%8Fsecret.txt", _TRAVERSAL),  # ．．／ (fullwidth)
    ("/files/%C0%AE%C0%AE%C0%AFsecret.txt", _TRAVERSAL),  # ../ in overlong UTF-8
    ("/files/", _FILES_ONLY),
    ("/files/.", _FILES_ONLY),
    ("/files/data", _FILES_ONLY),
    ("/files/data/", _FILES_ONLY),
    ("/files/current", _FILES_ONLY),
    ("/files/empty", _FILES_ONLY),
    ("/files/dangling.txt", _FILES_ONLY),
    ("/files/readme.txt%00.png", _NUL),
    ("/files/%00", _NUL),
    ("/files/..%00/secret.txt", _NUL),
    ("/files/" + "x" * 300, _LONG),
    ("/files/" + "a/" * 2100 + "b", _LONG),
    ("/files/pipe", _FILES_ONLY),  # last: an answer that open()s it would wait for a writer
]


def build_tree(top: Path) -> tuple[Path, dict[str, bytes]]:
    """The folders the check serves from, and the files outside them.  Returns (the root to serve, secrets).

        top/secret.txt              top/files-secret/keys.txt          top/private/db.txt
        top/served -> files         (the root the app is given, a symlink to the real folder)
        top/files/readme.txt, report 2024.csv, naïve café.txt, data/deep/nested/blob.bin, empty/
                  data/latest.bin -> deep/nested/blob.bin      current -> data/deep     (inside: served)
                  escape.txt -> ../secret.txt    absolute.txt -> top/secret.txt    shared -> ../private
                  data/up -> ../..               dangling.txt -> missing.txt       pipe (a FIFO)
    """
    (top / "secret.txt").write_bytes(SECRET)
    (top / "files-secret").mkdir()
    (top / "files-secret" / "keys.txt").write_bytes(KEYS)
    (top / "private").mkdir()
    (top / "private" / "db.txt").write_bytes(PRIVATE)
    real = top / "files"
    (real / "data" / "deep" / "nested").mkdir(parents=True)
    (real / "empty").mkdir()
    (real / "readme.txt").write_bytes(b"Files served by download().\n")
    (real / "report 2024.csv").write_bytes(b"month,total\n2024-01,100\n2024-02,250\n")
    (real / "naïve café.txt").write_bytes("Crème brûlée, naïve café, 日本語\n".encode())
    (real / "data" / "deep" / "nested" / "blob.bin").write_bytes(sample_bytes(300 * KiB, seed=45))
    (real / "data" / "latest.bin").symlink_to(Path("deep") / "nested" / "blob.bin")
    (real / "current").symlink_to(Path("data") / "deep", target_is_directory=True)
    (real / "escape.txt").symlink_to(Path("..") / "secret.txt")
    (real / "absolute.txt").symlink_to(top / "secret.txt")
    (real / "shared").symlink_to(Path("..") / "private", target_is_directory=True)
    (real / "data" / "up").symlink_to(Path("..") / "..", target_is_directory=True)
    (real / "dangling.txt").symlink_to("missing.txt")
    os.mkfifo(real / "pipe")
    (top / "served").symlink_to("files", target_is_directory=True)
    secrets = {"secret.txt": SECRET, "files-secret/keys.txt": KEYS, "private/db.txt": PRIVATE}
    with contextlib.suppress(OSError):
        secrets["/etc/passwd"] = Path("/etc/passwd").read_bytes()
    return top / "served", secrets


def release_pipe(pipe: Path) -> None:
    """Give an answer that opened the FIFO for reading its end of file, so its worker thread is not stuck."""
    with contextlib.suppress(OSError):
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))


class Seen:
    """What reached the app for each request: the raw path uvicorn passed on and the `path` FastAPI extracted."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.raw_path = b""
        self.path_param: str | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.raw_path, self.path_param = scope.get("raw_path", b""), None

        async def noting(message):
            if message["type"] == "http.response.start":  # routed by now: the router filled in path_params
                self.path_param = scope.get("path_params", {}).get("path")
            await send(message)

        await self.app(scope, receive, noting)


class Files:
    """The answer served from the check's tree: `get(target)` sends one request exactly as written."""

    def __init__(self, download, ctx) -> None:
        depends_on = find_dependency(download, "files_root", "download", "root: Path = Depends(files_root)")
        self.top = ctx.folder.resolve()
        root, self.secrets = build_tree(self.top)
        app = mount(download, "/files/{path:path}")
        app.dependency_overrides[depends_on] = lambda: root
        self.seen = Seen(app)
        self.server = ctx.serve(self.seen)

    def get(self, target: str, timeout: float = 3.0) -> tuple[int, dict[str, str], bytes]:
        """GET `target` over a plain socket, exactly as written (http.client does not touch the path)."""
        conn = connect(self.server.port, timeout)
        try:
            conn.request("GET", target)
            response = conn.getresponse()
            body = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
            status = response.status
        except TimeoutError:
            raise Failure(
                f"GET {shown(target)} got no answer within {timeout:g} s.",
                expected="404 at once",
                got="no status line: the endpoint is still waiting",
                next="check is_file() before opening anything: reading a named pipe waits for a writer",
            ) from None
        finally:
            conn.close()
        # The check's own guard: the target must reach the endpoint unchanged, or the attack proves nothing.
        assert self.seen.raw_path == target.encode(), (self.seen.raw_path[:80], target[:80])
        assert self.seen.path_param is not None, f"{target[:80]} did not reach the endpoint"
        return status, headers, body


def files_of(download, ctx) -> Files:
    if "files" not in ctx.found:
        ctx.found["files"] = Files(download, ctx)
    return ctx.found["files"]


def shown(target: str, top: Path | None = None) -> str:
    """A request target as a message shows it: the check's temporary folder named, long runs shortened."""
    text = target.replace(str(top), "<check folder>") if top else target
    text = text.replace("{abs}", "<check folder>")
    text = re.sub(r"(a/){6,}", lambda m: f"a/a/…({len(m.group(0)) // 2} times)…/", text)
    text = re.sub(r"x{12,}", lambda m: f"xxx…({len(m.group(0))} x)", text)
    return text


def describe_leak(body: bytes, secrets: dict[str, bytes]) -> str:
    for name, data in secrets.items():
        if body == data:
            return f"the bytes of {name}, a file outside the root"
        if data[:20] in body:
            return f"{len(body)} bytes that include {name}, a file outside the root"
    return f"{len(body)} bytes: {body[:50]!r}"


@case("4.5")
def serves_nothing_outside_the_root(download, ctx):
    """Leaks first: every hostile path is tried before anything else is judged, so a file served from outside
    the root is what the message talks about, even when the answer has other faults too."""
    files = files_of(download, ctx)
    ctx.found["refusals"] = refusals = []
    try:
        for target, advice in ATTACKS:
            status, _, body = files.get(target.replace("{abs}", str(files.top)))
            label = f"GET {shown(target)} (path {shown(files.seen.path_param or '', files.top)!r})"
            if status == 200:
                leak = describe_leak(body, files.secrets)
                raise Failure(f"{label} answered 200 with {leak}.", expected="404, as for a missing file",
                              got=f"200 and {leak}", next=advice)  # fmt: skip
            refusals.append((label, advice, status, body))
    finally:
        release_pipe(files.top / "files" / "pipe")


@case("4.5")
def answers_404_for_a_missing_file(download, ctx):
    """A missing file sets the one 404 every refusal must look like."""
    status, _, ctx.found["missing"] = files_of(download, ctx).get("/files/missing.txt")
    if status != 404:
        raise Failure(
            f"GET /files/missing.txt answered {status} for a file that does not exist.",
            expected="404 Not Found",
            got=f"{status} {ctx.found['missing'][:60]!r}",
            next="raise HTTPException(404) when the path does not lead to a file",
        )


@case("4.5")
def serves_the_files_inside_the_root_whole(download, ctx):
    files = files_of(download, ctx)
    for target, relative, kind in LEGIT:
        status, headers, body = files.get(target)
        data = (files.top / "files" / relative).read_bytes()
        label = f"GET {target} (path {files.seen.path_param!r}, {kind})"
        if status != 200:
            advice = ("the root the check gives is a symlink to the real folder (as /srv/files often is): "
                      "compare with root.resolve(), not root")  # fmt: skip
            if "symlink" in kind:
                advice = "a symlink that stays inside the root is fine: resolve it, then check where it landed"
            raise Failure(f"{label} answered {status}.", expected=f"200 and the file's {size(len(data))}",
                          got=f"{status} {body[:60]!r}", next=advice)  # fmt: skip
        if body != data or headers.get("content-length") != str(len(data)):
            raise Failure(
                f"{label} did not send the file as it is.",
                expected=f"its {len(data)} bytes, Content-Length: {len(data)}",
                got=f"{len(body)} bytes" + (" (other bytes)" if len(body) == len(data) else "")
                + f", Content-Length: {headers.get('content-length', '(none)')}",
                next="return FileResponse(target): it sends the bytes and the length",
            )


@case("4.5")
def refuses_every_hostile_path_with_the_same_404(download, ctx):
    missing = ctx.found["missing"]
    for label, advice, status, body in ctx.found["refusals"]:
        if status == 404 and body == missing:
            continue
        if status == 404:
            raise Failure(
                f"{label} answered 404 with another body than a missing file's.",
                expected=f"the same 404 as for a missing file: {missing[:60].decode(errors='replace')}",
                got=f"404 {body[:60]!r}",
                next="raise the same HTTPException(404) for every refusal: a different answer tells an attacker "
                "which paths hit something",
            )
        raise Failure(f"{label} answered {status}.", expected="404, as for a missing file",
                      got=f"{status} {body[:60]!r}", next=advice)  # fmt: skip
    return (
        f"{len(LEGIT)} files served whole (spaces, non-ASCII, subfolders, symlinks that stay inside), "
        f"{len(ATTACKS)} hostile paths refused with the same 404: ../ and its encodings, absolute paths, a "
        "sibling folder sharing the root's prefix, symlinks out, folders, a pipe, NUL bytes, names too long."
    )
