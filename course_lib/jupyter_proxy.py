"""A private Jupyter Server with jupyter-server-proxy, for notebook 4's section on the notebook's own proxy.

    jupyter = jupyter_server()                          # started once per kernel, reused on re-run
    httpx.get(jupyter.proxy_url(server.port) + "/stream", headers=jupyter.headers)

On JupyterHub and Binder a learner's browser reaches a kernel's port only through jupyter-server-proxy, at
`<base_url>proxy/<port>/` of the Jupyter server (course_lib/_browser.py).  To measure what that proxy does, the
notebook runs its own Jupyter Server from this kernel's Python, so the versions measured are the ones installed
here, and a 100 MiB body pushed through it does not land in the memory of the server the learner works in.

The server listens on 127.0.0.1 on a free port, asks for a random token, opens no browser, and has its own
folder for runtime, data and config files (JUPYTER_NO_CONFIG: none of the learner's settings or extensions
are loaded; only jupyter_server_proxy is enabled).  It is stopped when the kernel exits (atexit), and it stops
itself, and removes its folder, when the kernel is killed without running atexit (a watcher thread in the server
sees its parent go).
`proxy_version()` is None where jupyter-server-proxy is not installed; the notebook then says so.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.metadata
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from ._server import free_port

__all__ = ["JupyterServer", "JupyterServerError", "jupyter_server", "proxy_version", "stop_jupyter_server"]

HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # a first start on a loaded laptop imports a lot
STOP_TIMEOUT = 5.0

#: Runs in the server's process: stop (SIGTERM, Jupyter's clean shutdown) once the kernel that started it is gone,
#: and remove its folder; it hands over to jupyter_server's own entry point with the arguments after the parent's pid.
_LAUNCHER = """\
import os, shutil, signal, sys, threading, time
parent = int(sys.argv[1])
def watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=watch, daemon=True).start()
sys.argv = ["jupyter-server", *sys.argv[2:]]
from jupyter_server.serverapp import main
try:
    main()
finally:
    if os.getppid() != parent:  # orphaned: nobody is left to remove the server's folder
        shutil.rmtree(os.getcwd(), ignore_errors=True)
"""


class JupyterServerError(RuntimeError):
    """The Jupyter Server could not be started (or jupyter-server-proxy is not installed)."""


def proxy_version() -> str | None:
    """The installed jupyter-server-proxy's version, or None when this Python does not have it."""
    try:
        return importlib.metadata.version("jupyter-server-proxy")
    except importlib.metadata.PackageNotFoundError:
        return None


class JupyterServer:
    """One running Jupyter Server: `url`, `headers` (its token), `proxy_url(port)`, `files_url(name)`, `root`, `rss()`."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.root = folder / "root"  # what it serves at /files/
        self.root.mkdir(exist_ok=True)
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.token = secrets.token_hex(24)
        self.headers = {"Authorization": f"token {self.token}"}
        env = dict(
            os.environ,
            JUPYTER_NO_CONFIG="1",
            JUPYTER_CONFIG_DIR=str(folder / "config"),
            JUPYTER_RUNTIME_DIR=str(folder / "runtime"),
            JUPYTER_DATA_DIR=str(folder / "data"),
            TMPDIR=str(folder),  # jupyter_core makes its blank config folder here: removed with the rest
        )
        env.pop("JUPYTER_TOKEN", None)
        command = [
            sys.executable, "-c", _LAUNCHER, str(os.getpid()),
            f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.jpserver_extensions=jupyter_server_proxy=True",
            "--ServerApp.log_level=CRITICAL", "--allow-root",  # allowed to run as root, as in a container
        ]  # fmt: skip
        self.log_path = folder / "server.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a kernel interrupt is not the server's business
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def proxy_url(self, port: int) -> str:
        """Where jupyter-server-proxy forwards to localhost:`port`: `<url>/proxy/<port>` (add the path after it)."""
        return f"{self.url}/proxy/{port}"

    def files_url(self, name: str) -> str:
        """The Jupyter server's own download of `root / name`."""
        return f"{self.url}/files/{name}"

    def rss(self) -> int:
        """The server process's resident memory, in bytes."""
        return psutil.Process(self.pid).memory_info().rss

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise JupyterServerError(f"the Jupyter server exited with status {self.process.returncode}: {self.log().strip()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/status", headers=self.headers, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise JupyterServerError(f"the Jupyter server did not answer on {self.url} within {timeout:.0f} s: {self.log().strip()}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM (Jupyter's clean shutdown), then SIGKILL; remove the folder.  Safe to call twice."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __repr__(self) -> str:
        state = "running" if self.running else f"stopped ({self.process.returncode})"
        return f"<JupyterServer {state} at {self.url}, pid {self.pid}>"


_server: JupyterServer | None = None
_lock = threading.Lock()


def jupyter_server() -> JupyterServer:
    """The kernel's private Jupyter Server with jupyter-server-proxy: started on the first call, then reused."""
    global _server
    with _lock:
        if _server is not None and _server.running:
            return _server
        if _server is not None:
            _server.stop()
            _server = None
        if proxy_version() is None:
            raise JupyterServerError("jupyter-server-proxy is not installed in this Python: pip install jupyter-server-proxy")
        for attempt in range(3):
            folder = Path(tempfile.mkdtemp(prefix="course-jupyter-"))
            server = JupyterServer(folder, free_port())
            try:
                server.wait_until_ready()
            except JupyterServerError:
                server.stop()
                if attempt == 2:  # another program may have taken the free port in between: try another
                    raise
                continue
            _server = server
            return server
        raise AssertionError("unreachable")


def stop_jupyter_server() -> None:
    """Stop the private Jupyter Server, if one runs.  The next jupyter_server() starts a new one."""
    global _server
    with _lock:
        if _server is not None:
            _server.stop()
            _server = None


atexit.register(stop_jupyter_server)
