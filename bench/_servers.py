"""The servers `make bench` measures, each in its own process: uvicorn on either protocol stack, and nginx.

Each one exposes what the measurements read from outside: its RSS, its RSS high-water mark (reset before
every measurement), and the CPU time it has used.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import psutil

ROOT = Path(__file__).resolve().parent.parent


class Stack(NamedTuple):
    key: str
    label: str
    http: str
    loop: str


#: Plain uvicorn (what course_lib.serve() runs) and uvicorn[standard].
STACKS = {
    "h11": Stack("h11", "h11 + asyncio", "h11", "asyncio"),
    "httptools": Stack("httptools", "httptools + uvloop", "httptools", "uvloop"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_accepting(port: int, process: subprocess.Popen, what: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} before it accepted connections")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not accept connections within {limit:.0f} s")


class ServerProcess:
    """A server in a child process, measured from outside."""

    process: subprocess.Popen
    url: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss(self) -> int:
        return psutil.Process(self.pid).memory_info().rss

    def cpu_times(self):
        """The CPU time the server has used so far: .user and .system, in seconds."""
        return psutil.Process(self.pid).cpu_times()

    def reset_peak(self) -> bool:
        """Start a new RSS high-water mark (Linux: `5` into /proc/PID/clear_refs); False where that is not possible."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def peak_rss(self) -> int | None:
        """The RSS high-water mark since reset_peak() (VmHWM), or None where the kernel does not keep one."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return None

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class Uvicorn(ServerProcess):
    """`uvicorn bench.apps:app` on one protocol stack, serving `file`."""

    def __init__(self, file: Path, stack: Stack) -> None:
        self.file, self.stack = file, stack
        self.start()

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, BENCH_FILE=str(self.file), COURSE_ANSWERS="solutions", PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.apps:app", "--host", "127.0.0.1", "--port", str(port),
             "--http", self.stack.http, "--loop", self.stack.loop, "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        wait_until_accepting(port, self.process, f"uvicorn ({self.stack.label})")

    def restart(self) -> None:
        self.kill()
        self.start()


def nginx_binary() -> str | None:
    """BENCH_NGINX, else nginx on PATH, else the usual /usr/sbin/nginx (sbin is often off a user's PATH)."""
    for candidate in (os.environ.get("BENCH_NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def nginx_version(binary: str) -> str:
    result = subprocess.run([binary, "-v"], capture_output=True, text=True)
    return (result.stderr or result.stdout).strip().rpartition("/")[2] or "unknown"


NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        location = /file {{ alias {file}; }}
        location = /accel {{ proxy_pass {upstream}/accel; }}
        location /protected/ {{ internal; alias {folder}/; }}
        location / {{ return 404; }}
    }}
}}
"""


class Nginx(ServerProcess):
    """nginx with sendfile, one process (no master), serving `file` at /file from a throwaway prefix, and at /accel
    after asking `upstream` (a bench.apps server), which answers with X-Accel-Redirect."""

    def __init__(self, file: Path, binary: str, upstream: str) -> None:
        self.prefix = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = self.prefix / "nginx.conf"
        config.write_text(NGINX_CONF.format(prefix=self.prefix, port=port, file=file.resolve(), upstream=upstream,
                                            folder=file.resolve().parent))
        with open(self.prefix / "stderr.log", "wb") as stderr:
            self.process = subprocess.Popen(
                [binary, "-p", str(self.prefix), "-c", str(config), "-e", str(self.prefix / "error.log")],
                stdout=subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        try:
            wait_until_accepting(port, self.process, "nginx")
        except RuntimeError as exc:
            logs = [self.prefix / name for name in ("stderr.log", "error.log")]
            text = "".join(log.read_text(errors="replace") for log in logs if log.exists())
            self.stop()
            raise RuntimeError(f"{exc}\n{text[-2000:]}") from None

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish open downloads, then exit
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.prefix, ignore_errors=True)
