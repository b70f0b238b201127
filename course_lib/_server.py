"""A real uvicorn server inside the notebook's own process.

`serve(app)` runs uvicorn on its own event loop in a daemon thread, bound to 127.0.0.1 on a port the OS
picks, and returns once the socket accepts connections.  The kernel's loop stays free, so plain
synchronous clients (httpx.Client, urllib, curl in a subprocess) work from any cell.

Why not `uvicorn.run()` in a cell?  The kernel already runs an event loop, and `uvicorn.run` wants to
start its own in the same thread.  Why not `server.should_exit = True` to stop?  uvicorn's main loop looks
at that flag every 0.1 s, sleeps another 0.1 s in `shutdown()`, and then waits for every open connection
to finish -- forever, if a stream never ends.  `LiveServer.stop()` drives the same uvicorn startup and
shutdown pieces itself: it wakes the loop at once, gives open responses a short grace period, then closes
their connections and cancels what is left.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import ctypes
import logging
import socket
import threading
import time
import traceback
from typing import Any

import httpx
import uvicorn

from ._browser import browser_route

__all__ = ["LiveServer", "free_port", "serve", "stop_all", "running_servers"]

HOST = "127.0.0.1"
HTTP_STACKS = ("h11", "httptools")
START_TIMEOUT = 10.0
#: How long stop() lets responses that are still being sent finish before closing their connections.
GRACE = 0.25

_servers: dict[str, LiveServer] = {}
_servers_lock = threading.Lock()


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago, for a server started as a process of its own (nginx, granian,
    a Jupyter Server); a caller that loses it to another program in between says so or tries again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class _Discard(logging.Handler):
    """Keeps uvicorn's last log records for `LiveServer.log` and prints nothing.

    uvicorn logs from its own thread; anything it printed would land in whichever cell happens to be
    running, where nbval would compare it.  Errors from the learner's code are kept per server instead
    (see `LiveServer.errors`) and reported by the check that caused them.
    """

    def __init__(self) -> None:
        super().__init__()
        self.records: collections.deque[logging.LogRecord] = collections.deque(maxlen=200)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_uvicorn_log = _Discard()


def _quiet_uvicorn_logs() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        log = logging.getLogger(name)
        if _uvicorn_log not in log.handlers:
            log.handlers = [_uvicorn_log]
        log.propagate = False


class LiveServer:
    """One running uvicorn server.  Use `serve(app)` to make one.

    >>> server = serve(app)                      # doctest: +SKIP
    >>> server.client.get("/").status_code       # doctest: +SKIP
    200
    """

    def __init__(self, app: Any, name: str = "default", grace: float = GRACE, http: str = "h11") -> None:
        if http not in HTTP_STACKS:
            raise ValueError(f"http={http!r}: uvicorn's HTTP/1.1 implementations are {', '.join(HTTP_STACKS)}")
        self.app = app
        self.name = name
        self.grace = grace
        #: uvicorn's HTTP implementation: "h11" (pure Python, what plain `pip install uvicorn` has) or
        #: "httptools" (what `uvicorn[standard]` and `fastapi[standard]` install and uvicorn then picks).
        self.http = http
        #: Exceptions raised by the app while this server ran, oldest first.  An exception is added when it
        #: leaves the app, which can be a moment after the client has read the 500; stop() waits for it.
        self.errors: list[BaseException] = []
        # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only for sockets whose protocol
        # says TCP, and uvicorn writes headers and body separately, so with it on every request after the first
        # on a kept-alive connection would wait ~40 ms for a delayed ACK.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self._sock.listen(128)
        self._sock.setblocking(False)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._started = threading.Event()
        self._startup_error: BaseException | None = None
        self._client: httpx.Client | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False
        config = uvicorn.Config(
            self._record_errors,
            host=HOST,
            port=self.port,
            log_config=None,
            log_level="warning",
            access_log=False,
            loop="asyncio",
            http=http,
            ws="none",
            lifespan="auto",
            interface="asgi3",
            proxy_headers=False,
        )
        self._uvicorn = uvicorn.Server(config)

    # -- the app, wrapped so that the learner's exceptions are kept ---------------------------------
    async def _record_errors(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            self.errors.append(exc)
            raise

    # -- life cycle ----------------------------------------------------------------------------------
    def start(self) -> LiveServer:
        _quiet_uvicorn_logs()
        self._thread = threading.Thread(target=self._run, name=f"course-server-{self.name}", daemon=True)
        self._thread.start()
        if not self._started.wait(START_TIMEOUT) and self._startup_error is None:
            self.stop()
            raise RuntimeError(f"the server did not start within {START_TIMEOUT:.0f} s")
        if self._startup_error is not None:
            error = self._startup_error
            self.stop()
            raise RuntimeError(f"the app failed to start: {type(error).__name__}: {error}") from error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to the thread that called start()
            if not self._started.is_set():
                self._startup_error = exc
        finally:
            with contextlib.suppress(Exception):
                _cancel_all(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            self._sock.close()
            self._started.set()

    async def _main(self) -> None:
        server = self._uvicorn
        self._stop_event = asyncio.Event()
        server.config.load()
        server.lifespan = server.config.lifespan_class(server.config)
        try:
            await server.startup(sockets=[self._sock])
        except SystemExit:  # uvicorn exits when the app's lifespan startup fails
            raise RuntimeError("lifespan startup failed") from None
        ticking = asyncio.create_task(self._tick())
        self._started.set()
        await self._stop_event.wait()
        ticking.cancel()
        await self._shutdown()

    async def _tick(self) -> None:
        # uvicorn's main loop refreshes the `date` and `server` headers once a second; do the same, so
        # responses look exactly as they would from `uvicorn app:app`.
        while True:
            await self._uvicorn.on_tick(0)
            await asyncio.sleep(1.0)

    async def _shutdown(self) -> None:
        server = self._uvicorn
        state = server.server_state
        for listener in server.servers:
            listener.close()
        for connection in list(state.connections):
            connection.shutdown()  # idle keep-alive connections close now, busy ones after their response
        deadline = time.monotonic() + self.grace
        while (state.connections or state.tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        for connection in list(state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()  # a stream that never ends: the client sees the connection drop
        for task in list(state.tasks):
            task.cancel()
        if state.tasks:
            await asyncio.wait(list(state.tasks), timeout=1.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.lifespan.shutdown(), timeout=2.0)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: close the listening socket and every open connection.  Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._client is not None:
            self._client.close()
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(event.set)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(min(timeout, 1.0))
            if self._thread.is_alive():
                # The loop is not coming back to its stop event: app code is spinning without ever awaiting
                # (an async generator that never awaits, a `while True:` in an async endpoint).  Raise into
                # that code so the task fails, the loop runs again, and the server stops.
                _raise_in_thread(self._thread, ServerStopped)
                self._thread.join(timeout)
        if self._thread is None:
            self._sock.close()
        if loop is not None:
            stop_busy_workers(loop)
        with _servers_lock:
            if _servers.get(self.name) is self:
                del _servers[self.name]

    # -- conveniences --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopped

    @property
    def client(self) -> httpx.Client:
        """An httpx client whose base URL is this server: `server.client.get("/path")`."""
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=10.0)
        return self._client

    @property
    def log(self) -> list[str]:
        """uvicorn's recent log lines (they are kept here instead of being printed)."""
        return [record.getMessage() for record in _uvicorn_log.records]

    def last_error(self) -> str:
        """The last exception raised by the app, with its traceback, or '' if there was none."""
        if not self.errors:
            return ""
        exc = self.errors[-1]
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def browser_url(self) -> str:
        """Where the learner's browser reaches this server: `url` on a laptop, the Jupyter server's proxy on a hub."""
        return browser_route().url(self.port)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        seen = "" if self.browser_url.startswith(self.url) else f", browser: {self.browser_url}"
        return f"<LiveServer {self.name!r} {state} at {self.url}{seen}>"


class ServerStopped(BaseException):
    """Raised inside app code that kept the server's loop busy when the server was stopped."""


def _raise_in_thread(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type))


def stop_busy_workers(loop: asyncio.AbstractEventLoop, wait: float = 0.5) -> None:
    """End AnyIO worker threads of a closed server loop that are still running app code.

    Starlette runs a sync endpoint, and each step of a sync generator, in AnyIO worker threads tied to the
    server's loop.  Once the loop has closed, idle workers leave on their own; a worker still busy after
    `wait` is app code that never returns (a loop with no `yield`), and would hold a CPU core until the kernel
    stops.  It gets the same exception as a server thread that never awaits.
    """
    deadline = time.monotonic() + wait
    while True:
        busy = [
            t
            for t in threading.enumerate()
            if getattr(t, "loop", None) is loop and t.is_alive() and t not in getattr(t, "idle_workers", ())
        ]
        if not busy or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    for thread in busy:
        _raise_in_thread(thread, ServerStopped)
    for thread in busy:
        thread.join(1.0)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=1.0))


def serve(app: Any, name: str = "default", http: str = "h11") -> LiveServer:
    """Serve `app` on 127.0.0.1 in the background and return the running `LiveServer`.

    Calling it again with the same `name` (re-running the cell) stops the previous server first, so
    a notebook never collects stale servers or port conflicts.  `http` picks uvicorn's HTTP implementation,
    "h11" (the default) or "httptools"; where the two answer differently, the notebooks show both.
    """
    with _servers_lock:
        previous = _servers.pop(name, None)
    if previous is not None:
        previous.stop()
    server = LiveServer(app, name=name, http=http).start()
    with _servers_lock:
        _servers[name] = server
    return server


def running_servers() -> list[LiveServer]:
    with _servers_lock:
        return list(_servers.values())


def stop_all() -> None:
    """Stop every server started with `serve()`."""
    for server in running_servers():
        server.stop()


atexit.register(stop_all)
