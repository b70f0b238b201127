"""A real nginx in front of a course server, for the proxy experiments of notebook 4.

    with reverse_proxy(server.url, proxy_http_version="1.1") as proxy:
        httpx.get(proxy.url + "/stream")          # the same path, through nginx

Each proxy is a private nginx: its own folder for the configuration, pid file, error log and temporary
files, listening on 127.0.0.1 on a free port, in the foreground (`daemon off`) so that this process owns it.
Leaving the `with` block stops it (fast shutdown, then SIGKILL for anything left) and removes the folder.
`nginx_path()` is None where nginx is not installed; the notebook then says what to install and moves on.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import psutil

from ._server import free_port

__all__ = ["Nginx", "NginxError", "nginx_path", "reverse_proxy"]

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
#: Where distributions put the binary; /usr/sbin is often missing from a normal user's PATH.
_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/opt/homebrew/bin/nginx", "/usr/local/bin/nginx")

_CONFIG = """\
daemon off;
master_process {master_process};
worker_processes 1;
pid {prefix}/nginx.pid;
lock_file {prefix}/nginx.lock;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass {upstream};
            proxy_http_version {proxy_http_version};
            proxy_buffering {proxy_buffering};
{extra}
        }}
{locations}
    }}
}}
"""


class NginxError(RuntimeError):
    """nginx could not be started (or is not installed)."""


def nginx_path() -> str | None:
    """The nginx binary, or None when nginx is not installed."""
    found = shutil.which("nginx")
    if found:
        return found
    return next((path for path in _CANDIDATES if os.access(path, os.X_OK)), None)


class Nginx:
    """One running nginx: `url` to send requests to, `config` it runs with, `stop()` to end it."""

    def __init__(self, binary: str, prefix: Path, config: str, port: int) -> None:
        self.prefix = prefix
        self.config = config
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.conf_path = prefix / "nginx.conf"
        self.conf_path.write_text(config)
        self.process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(self.conf_path), "-e", str(prefix / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C in a terminal or a kernel interrupt is not nginx's business
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def processes(self) -> list[psutil.Process]:
        """nginx's processes that are still alive: the master and its workers (or the single process)."""
        try:
            main = psutil.Process(self.process.pid)
            found = [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        return [p for p in found if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise NginxError(f"nginx exited with status {self.process.returncode}: {(stderr or self.error_log()).strip()}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), timeout=0.2):
                return
            time.sleep(0.01)
        raise NginxError(f"nginx did not accept connections on {self.url} within {timeout:.0f} s")

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Fast shutdown (SIGTERM), then SIGKILL for any nginx process still there.  Safe to call twice."""
        alive = self.processes()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # fast shutdown: open connections are closed
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        _, left = psutil.wait_procs([p for p in alive if p.pid != self.process.pid], timeout=timeout)
        for process in left:  # workers whose master died without taking them along
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __repr__(self) -> str:
        state = "running" if self.process.poll() is None else f"stopped ({self.process.returncode})"
        return f"<Nginx {state} at {self.url}>"


def _internal_location(internal_files: tuple[str, Path] | None) -> str:
    if internal_files is None:
        return ""
    prefix, folder = internal_files
    if not (prefix.startswith("/") and prefix.endswith("/")) or any(c in prefix for c in " ;{}"):
        raise ValueError(f"internal_files' prefix is a plain path such as '/protected/', not {prefix!r}")
    return f"        location {prefix} {{ internal; alias {Path(folder).resolve()}/; sendfile on; }}"


@contextlib.contextmanager
def reverse_proxy(
    upstream: str,
    *,
    proxy_http_version: str = "1.0",
    proxy_buffering: bool = True,
    master_process: bool = False,
    extra: str = "",
    internal_files: tuple[str, Path] | None = None,
) -> Iterator[Nginx]:
    """Run nginx on 127.0.0.1 proxying every path to `upstream` (e.g. "http://127.0.0.1:8000").

    `proxy_http_version` and `proxy_buffering` are nginx's directives of the same name ("1.0" and on are
    nginx's defaults); `extra` is added to the `location` block as it is.  With `master_process=False`
    (the default) a single nginx process does everything; with True, a master and one worker.
    `internal_files=("/protected/", folder)` adds an `internal` location that serves `folder` with sendfile, reachable
    only when the app answers with `X-Accel-Redirect: /protected/<name>` (nginx then sends the file itself).
    """
    binary = nginx_path()
    if binary is None:
        raise NginxError("nginx is not installed: apt install nginx-light (Debian, Ubuntu) or brew install nginx (macOS)")
    if not upstream.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        raise ValueError(f"the course proxies only to servers on this machine, not {upstream!r}")
    if proxy_http_version not in ("1.0", "1.1"):
        raise ValueError(f"proxy_http_version is '1.0' or '1.1', not {proxy_http_version!r}")
    prefix = Path(tempfile.mkdtemp(prefix="course-nginx-"))
    prefix.chmod(0o755)  # with a master process running as root, the worker runs as nobody and needs its temp paths
    proxy = None
    try:
        for attempt in range(5):
            port = free_port()
            config = _CONFIG.format(
                master_process="on" if master_process else "off",
                prefix=prefix,
                host=HOST,
                port=port,
                upstream=upstream.rstrip("/"),
                proxy_http_version=proxy_http_version,
                proxy_buffering="on" if proxy_buffering else "off",
                extra="\n".join("            " + line.strip() for line in extra.strip().splitlines()),
                locations=_internal_location(internal_files),
            )
            proxy = Nginx(binary, prefix, config, port)
            try:
                proxy.wait_until_ready()
                break
            except NginxError as error:
                proxy.stop()
                if "in use" not in str(error) or attempt == 4:  # another program took the port in between
                    raise
        yield proxy
    finally:
        if proxy is not None:
            proxy.stop()
        shutil.rmtree(prefix, ignore_errors=True)
