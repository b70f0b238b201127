"""Each chapter's playground app, for `python -m course_lib serve NN`: point curl or a browser at it.

The apps use the answers the course is set to (COURSE_ANSWERS, `--answers`), so what a learner wrote is
what curl downloads.
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

from ._answers import answers, answers_dir, display_path, learner_frame
from ._browser import browser_route
from .data import data_dir, sample_file
from .registry import exercises

__all__ = ["PLAYGROUNDS", "STATIC", "FileBlob", "banner", "playground_app", "safe_path", "stubs_left"]

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")


def safe_path(folder: Path, name: str) -> Path:
    """`folder/name` for a plain file name; 404 for anything that could leave the folder."""
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise HTTPException(404, f"no file named {name!r} here")
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise HTTPException(404, f"no file named {name!r} here")
    return path


# -- a stub answers 501 with one line, not a 500 and a traceback -----------------------------------------


def _exercise_of(exc: BaseException) -> tuple[str, str]:
    """('3.2 send_blob', 'exercises/ch03_range_requests.py, line 205') for a NotImplementedError raised by
    a stub in the answers folder; ('', '') when it came from elsewhere."""
    frame = learner_frame(exc)
    if frame is None:
        return "", ""
    module = Path(frame.filename).stem
    named = [ex for ex in exercises().values() if ex.module == module and frame.name in ex.functions]
    what = f"{named[0].id} {frame.name}" if named else frame.name
    return what, f"{display_path(frame.filename)}, line {frame.lineno}"


async def _stub_answers_501(request: Request, exc: NotImplementedError) -> Response:
    what, where = _exercise_of(exc)
    if not what:
        raise exc
    line = f"501 Not Implemented: {what} is not written yet ({where})"
    print(f"{request.method} {request.url.path}: {line}", flush=True)
    return PlainTextResponse(line + "\n", status_code=501)


def playground_app(title: str) -> FastAPI:
    """A chapter's playground app: a learner's stub answers 501 with one readable line."""
    app = FastAPI(title=title)
    app.add_exception_handler(NotImplementedError, _stub_answers_501)
    return app


def stubs_left(chapter: str) -> list[str]:
    """The chapter's exercises whose function is still the untouched stub, as '3.2 send_blob'."""
    from ._study import is_untouched_stub

    prefix = f"{int(chapter)}."
    return [f"{ex.id} {ex.function}" for ex in exercises().values() if ex.id.startswith(prefix) and is_untouched_stub(ex)]


def banner(chapter: str, port: int) -> str:
    """What `serve NN` says first: where (for curl, and for the learner's browser), whose answers, what answers 501."""
    url = f"http://127.0.0.1:{port}/"
    lines = [f"Chapter {chapter} playground on {url}  (uvicorn with h11, as in the notebooks; Ctrl-C stops it)"]
    route = browser_route()
    if route.url(port) + "/" != url:
        seen = route.url(port) + "/"
        if route.same_origin_path:
            seen += "  (after your hub's address: https://<your hub>" + seen + ")"
        lines.append(f"  in your browser: {seen}   [{route.how}]")
        if route.proxy_missing:
            lines.append("  but jupyter-server-proxy is not installed here: pip install -r requirements.txt")
    lines.append(f"  answers from {display_path(answers_dir())}/")
    stubs = stubs_left(chapter)
    if stubs:
        lines.append(f"  still stubs, answering 501: {', '.join(stubs)}")
    return "\n".join(lines)


# -- the chapters ---------------------------------------------------------------------------------------


def chapter01() -> FastAPI:
    ex = answers("ch01_chunk_generators")
    sample_file("sample-3MiB.bin", 3 * (1 << 20) + 17)
    app = playground_app("Chapter 1 playground: file_chunks over HTTP")

    @app.get("/", response_class=PlainTextResponse)
    def index() -> str:
        names = sorted(p.name for p in data_dir().iterdir() if p.is_file() and not p.name.endswith(".part"))
        return "Files served through your file_chunks():\n" + "".join(f"  /files/{n}\n" for n in names)

    @app.get("/files/{name}")
    def download(name: str) -> StreamingResponse:
        path = safe_path(data_dir(), name)
        return StreamingResponse(
            ex.file_chunks(path, 64 * 1024),
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
        )

    return app


def chapter02() -> FastAPI:
    """The chapter-2 endpoints on the orders database (built in the data folder on first use)."""
    from fastapi.sse import EventSourceResponse

    from .data import orders_db

    ex = answers("ch02_streaming_response")
    orders_db()
    app = playground_app("Chapter 2 playground: your streaming endpoints")

    @app.get("/", response_class=PlainTextResponse)
    def index() -> str:
        return (
            "Your chapter-2 endpoints on a million orders:\n"
            "  /orders.csv                              export_orders_csv (2.1)\n"
            "  /orders.jsonl?status=refunded&limit=5    orders_jsonl (2.2)\n"
            "  /orders.json?limit=3                     orders_json_array (2.3)\n"
            "  /progress?steps=10                       job_progress (2.4); resume with -H 'Last-Event-ID: 4'\n"
        )

    # Mounted as they are now: restart the playground after editing the exercise file.  A stub (or any
    # function without `yield`) is an ordinary endpoint to FastAPI, so it is mounted as one.
    for path, name in (("/orders.csv", "export_orders_csv"), ("/orders.jsonl", "orders_jsonl"),
                       ("/orders.json", "orders_json_array"), ("/progress", "job_progress")):  # fmt: skip
        endpoint = getattr(ex, name)
        streams = inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint)
        if not streams:
            app.add_api_route(path, endpoint, methods=["GET"], response_model=None)
        elif name == "job_progress":
            app.add_api_route(path, endpoint, methods=["GET"], response_class=EventSourceResponse)
        else:
            app.add_api_route(path, endpoint, methods=["GET"])
    return app


STATIC = Path(__file__).resolve().parent / "static"


class FileBlob:
    """A file on disk with the attributes and open() of chapter 3's Blob, so send_blob() can serve it too."""

    def __init__(self, path: Path, media_type: str | None = None) -> None:
        import hashlib
        import mimetypes

        stat = path.stat()
        self.path, self.id, self.name, self.size = path, 0, path.name, stat.st_size
        self.media_type = media_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.etag = '"' + hashlib.sha256(f"{stat.st_mtime_ns}-{stat.st_size}".encode()).hexdigest()[:32] + '"'
        self.last_modified = int(stat.st_mtime)

    @property
    def last_modified_http(self) -> str:
        from email.utils import formatdate

        return formatdate(self.last_modified, usegmt=True)

    def open(self):
        return open(self.path, "rb")


def _chapter03_file(name: str) -> Path:
    """A sample file by name: the course's static files first, then the data folder."""
    if STATIC.is_dir() and _SAFE_NAME.fullmatch(name) and (STATIC / name).is_file():
        return safe_path(STATIC, name)
    if name.endswith((".part", ".sqlite")):  # the playground's own working files
        raise HTTPException(404, f"no file named {name!r} here")
    return safe_path(data_dir(), name)


def chapter03() -> FastAPI:
    """Files and SQLite blobs served through the learner's send_blob(), and the same files through FileResponse."""
    ex = answers("ch03_range_requests")
    sample_file("sample-4MiB.bin", 4 * (1 << 20))
    db = data_dir() / "blobs.sqlite"
    if not db.exists():
        files = {"hello.txt": (b"Hello, ranges!\n" * 64, "text/plain")}
        video = STATIC / "sample-video.webm"
        if video.is_file():
            files["sample-video.webm"] = (video.read_bytes(), "video/webm")
        files["sample-4MiB.bin"] = ((data_dir() / "sample-4MiB.bin").read_bytes(), "application/octet-stream")
        tmp = db.with_name(db.name + ".part")
        ex.make_blobs_db(tmp, files)
        os.replace(tmp, db)
    app = playground_app("Chapter 3 playground: your range requests next to Starlette's")

    def names() -> list[str]:
        found = {p.name for p in data_dir().iterdir() if p.is_file() and not p.name.endswith((".part", ".sqlite"))}
        if STATIC.is_dir():
            found |= {p.name for p in STATIC.iterdir() if p.is_file()}
        return sorted(found)

    @app.get("/", response_class=PlainTextResponse)
    def index() -> str:
        import sqlite3

        conn = sqlite3.connect(db)
        try:
            blobs = conn.execute("SELECT id, name, length(data) FROM blobs ORDER BY id").fetchall()
        finally:
            conn.close()
        return (
            "Through your send_blob() (3.2/3.3), try curl -i -H 'Range: bytes=0-99' ...:\n"
            + "".join(f"  /files/{n}\n" for n in names())
            + "".join(f"  /blobs/{i}    {n}, {size} bytes\n" for i, n, size in blobs)
            + "The same files through Starlette's FileResponse, to compare:\n"
            + "".join(f"  /stock/files/{n}\n" for n in names())
        )

    @app.api_route("/files/{name}", methods=["GET", "HEAD"], response_model=None)
    def file_ranges(name: str, request: Request) -> Response:
        return ex.send_blob(request, FileBlob(_chapter03_file(name)))

    @app.api_route("/blobs/{blob_id}", methods=["GET", "HEAD"], response_model=None)
    def blob_ranges(blob_id: int, request: Request) -> Response:
        blob = ex.load_blob(db, blob_id)
        if blob is None:
            raise HTTPException(404, f"no blob {blob_id} here")
        return ex.send_blob(request, blob)

    @app.api_route("/stock/files/{name}", methods=["GET", "HEAD"], response_model=None)
    def stock_file(name: str) -> FileResponse:
        return FileResponse(_chapter03_file(name))

    return app


def chapter04() -> FastAPI:
    """The chapter-4 endpoints as the learner wrote them, next to a /ping that shows when the loop is blocked."""
    ex = answers("ch04_gotchas")
    sample_file("sample-1MiB.bin", 1 << 20)
    app = playground_app("Chapter 4 playground: your production-ready endpoints")

    @app.get("/", response_class=PlainTextResponse)
    def index() -> str:
        return (
            "Your chapter-4 endpoints (mounted as they are now: restart after editing):\n"
            "  /report?count=20        sensor_report (4.1); time curl /ping in another terminal meanwhile\n"
            "  /audit.jsonl            export_audit (4.2)\n"
            "  /ticks                  follow_ticks (4.3): an endless feed, stop it with Ctrl-C\n"
            "  /feed                   relay_feed (4.4)\n"
            "  /files/sample-1MiB.bin  download (4.5); try curl --path-as-is /files/../../etc/passwd\n"
            "  /export.csv             export_report (4.6); start three at once\n"
            "  /ping                   answers at once unless the event loop is blocked\n"
        )

    @app.get("/ping", response_class=PlainTextResponse)
    async def ping() -> str:
        return "pong"

    # response_model=None: a stub (or an answer that returns something else) is served as it is.
    for path, name in [("/report", "sensor_report"), ("/audit.jsonl", "export_audit"), ("/ticks", "follow_ticks"),
                       ("/feed", "relay_feed"), ("/files/{path:path}", "download"),
                       ("/export.csv", "export_report")]:  # fmt: skip
        app.add_api_route(path, getattr(ex, name), methods=["GET"], response_model=None)
    return app


PLAYGROUNDS = {"01": chapter01, "02": chapter02, "03": chapter03, "04": chapter04}
