"""Re-running, the way a learner does it: one kernel, every notebook run twice in a row, then again after a
kernel restart; a long stream interrupted mid-way, and a check interrupted while it runs.  Nothing fails,
and nothing is left behind: no server threads or listening sockets beyond the servers the course still
holds, no check threads, no stale kernel process.

The kernel is a real IPython kernel (jupyter_client), started in notebooks/ like JupyterLab starts it, and
cells are sent one by one as Shift+Enter sends them.
"""

import json
import os
import queue
import re
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from jupyter_client import KernelManager

from conftest import ROOT
from test_notebooks import NOTEBOOKS

CELL_TIMEOUT = 300  # one cell, on a loaded machine
READY_TIMEOUT = 120

# What is alive in the kernel: its threads, the servers course_lib holds, and where they listen.
# `_at_most` threads are waited for (up to 15 s): worker threads of a stopped server's pool, a progress bar's
# monitor, leave on their own a moment after their work ends.
INVENTORY = """
import json as _json, os as _os, threading as _threading, time as _time
from course_lib._server import running_servers as _running_servers
_deadline = _time.monotonic() + 15
while len(_threading.enumerate()) > _at_most and _time.monotonic() < _deadline:
    _time.sleep(0.1)
print(_json.dumps({
    "pid": _os.getpid(),
    "threads": sorted(_t.name for _t in _threading.enumerate()),
    "kinds": {_t.name: f"{type(_t).__module__}.{type(_t).__qualname__} target={getattr(getattr(_t, '_target', None), '__qualname__', None)}"
              for _t in _threading.enumerate()},
    "servers": sorted([_s.name, _s.port, _s.running] for _s in _running_servers()),
}))
"""


@dataclass
class Ran:
    code: str
    status: str
    outputs: list = field(default_factory=list)  # (kind, text): kind is stdout, stderr, result or error

    @property
    def stdout(self) -> str:
        return "".join(text for kind, text in self.outputs if kind == "stdout")

    @property
    def shown(self) -> str:
        """Everything the cell shows but errors: printed text and displayed values (a passing check's ✓ box)."""
        return "".join(text for kind, text in self.outputs if kind in ("stdout", "result"))

    def problems(self) -> list[str]:
        """What a learner would see as wrong: an error, or anything on stderr (warnings about leaks included)."""
        shown = [text for kind, text in self.outputs if kind in ("error", "stderr")]
        if self.status != "ok" and not shown:
            shown.append(f"the cell ended with status {self.status!r}")
        return shown


class Kernel:
    """One IPython kernel, as JupyterLab runs it for a notebook."""

    def __init__(self, env: dict, cwd: Path) -> None:
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=env, cwd=str(cwd))
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=READY_TIMEOUT)
        self.own_ports = self.listening()

    def listening(self) -> set[int]:
        """Ports the kernel process listens on.  A fresh kernel has its own (ZeroMQ channels and more)."""
        connections = psutil.Process(self.pid).net_connections("tcp")
        return {c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN}

    @property
    def pid(self) -> int:
        return self.km.provisioner.process.pid

    def run(self, code: str, watch=None, timeout: float = CELL_TIMEOUT) -> Ran:
        """Run one cell and collect what it shows.  `watch(ran)` is called as output arrives and every 0.2 s."""
        msg_id = self.kc.execute(code, allow_stdin=False, stop_on_error=False)
        ran = Ran(code, "")
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"a cell ran over {timeout:.0f} s:\n{code[:500]}\nlast output: {ran.outputs[-5:]}")
            if watch is not None:
                watch(ran)
            try:
                msg = self.kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                ran.outputs.append((content["name"], content["text"]))
            elif kind == "error":
                ran.outputs.append(("error", f"{content['ename']}: {content['evalue']}"))
            elif kind in ("execute_result", "display_data"):
                ran.outputs.append(("result", content["data"].get("text/plain", "")))
            elif kind == "status" and content["execution_state"] == "idle":
                break
        while True:
            reply = self.kc.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                ran.status = reply["content"]["status"]
                return ran

    def run_notebook(self, notebook: Path) -> dict[int, list[str]]:
        """Every code cell in order; {cell number: what it showed wrong} for the cells that went wrong."""
        cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
        wrong = {}
        for number, cell in enumerate(cells):
            problems = self.run("".join(cell["source"])).problems()
            if problems:
                wrong[number] = problems
        return wrong

    def inventory(self, at_most: int = 1000) -> dict:
        """What is alive in the kernel, once it has at most `at_most` threads or 15 s have passed."""
        ran = self.run(f"_at_most = {at_most}\n" + INVENTORY)
        assert ran.status == "ok", ran.outputs
        found = json.loads(ran.stdout.strip().splitlines()[-1])
        found["listening"] = sorted(self.listening() - self.own_ports)
        return found

    def restart(self) -> None:
        self.km.restart_kernel(now=False)
        self.kc.wait_for_ready(timeout=READY_TIMEOUT)
        self.own_ports = self.listening()

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)


def assert_only_live_servers(found: dict) -> None:
    """Every course server thread and listening socket in the kernel belongs to a server course_lib still holds."""
    live = [(name, port) for name, port, running in found["servers"] if running]
    server_threads = sorted(t for t in found["threads"] if t.startswith("course-server-"))
    assert server_threads == sorted(f"course-server-{name}" for name, _ in live), found
    assert found["listening"] == sorted(port for _, port in live), found
    assert [t for t in found["threads"] if t.startswith("course-") and not t.startswith("course-server-")] == [], found


def kernel_env(tmp_path: Path, data: Path, answers: str = "solutions") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    env.update(COURSE_ANSWERS=answers, COURSE_DATA=str(data), COURSE_PROGRESS=str(tmp_path / "progress.json"),
               PYTHONPATH=str(ROOT))  # fmt: skip
    return env


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory):
    return tmp_path_factory.mktemp("course-data")


@pytest.fixture
def kernel():
    made = []

    def start(env, cwd=ROOT / "notebooks"):
        made.append(Kernel(env, cwd))
        return made[-1]

    yield start
    for k in made:
        pid = k.pid
        k.shutdown()
        assert gone(pid), "the kernel process is still running after shutdown"


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def described(wrong: dict) -> str:
    return "\n\n".join(f"cell {n}:\n" + "\n".join(text[-1500:] for text in texts) for n, texts in wrong.items())


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_twice_in_one_kernel_and_again_after_a_restart(notebook, kernel, shared_data, tmp_path):
    k = kernel(kernel_env(tmp_path, shared_data))

    first = k.run_notebook(notebook)
    assert first == {}, "first run:\n" + described(first)
    after_first = k.inventory()
    assert_only_live_servers(after_first)

    second = k.run_notebook(notebook)
    assert second == {}, "second run in the same kernel:\n" + described(second)
    after_second = k.inventory(at_most=len(after_first["threads"]))
    assert_only_live_servers(after_second)
    # A library's process-wide helper thread, started on first use and never more than once, is not a leak:
    # pyzmq starts its GarbageCollectorThread at the first zero-copy send of a large output (a plot, a table),
    # which may happen in the first run or only in the second.
    singletons = {n for n, kind in after_second["kinds"].items() if kind.split()[0] in LIBRARY_SINGLETONS}
    # asyncio.to_thread() runs in the kernel loop's default executor, a ThreadPoolExecutor whose idle threads stay:
    # it may grow in a second run, never past its max_workers (min(32, cores + 4)): a pool, not a leak.
    pool = [n for n in after_second["threads"] if re.fullmatch(r"asyncio_\d+", n)]
    assert len(pool) <= min(32, (os.cpu_count() or 1) + 4), f"the default executor outgrew its bound: {pool}"
    more = Counter(after_second["threads"]) - Counter(after_first["threads"]) - Counter(singletons) - Counter(pool)
    assert not more, (
        f"threads added by the second run: {more}: " + ", ".join(f"{n}: {after_second['kinds'][n]}" for n in more)
    )

    old_pid = after_second["pid"]
    k.restart()
    assert gone(old_pid), "the kernel before the restart is still running"
    third = k.run_notebook(notebook)
    assert third == {}, "after a kernel restart:\n" + described(third)
    assert_only_live_servers(k.inventory())


ENDLESS_STREAM = """
import asyncio
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from course_lib import serve

app = FastAPI()

@app.get("/ticks")
async def ticks():
    async def forever():
        n = 0
        while True:
            n += 1
            yield f"tick {n}\\n"
            await asyncio.sleep(0.005)
    return StreamingResponse(forever(), media_type="text/plain")

@app.get("/ping")
def ping():
    return "pong"

server = serve(app, name="ticks")
"""
DOWNLOAD = """
with server.client.stream("GET", "/ticks") as response:
    for line in response.iter_lines():
        print(line, flush=True)
"""

# Responses the server is still sending (uvicorn's own count), after giving a cut stream a moment to notice.
STREAMS_LEFT = """
import time as _time
_state, _deadline = server._uvicorn.server_state, _time.monotonic() + 5
while _state.tasks and _time.monotonic() < _deadline:
    _time.sleep(0.02)
print(len(_state.tasks))
"""


def interrupt_after(k: Kernel, lines: int):
    """A watch for Kernel.run: interrupt the kernel once the cell has printed `lines` lines."""
    sent = []

    def watch(ran: Ran) -> None:
        if not sent and ran.stdout.count("\n") >= lines:
            k.km.interrupt_kernel()
            sent.append(True)

    return watch


def test_interrupting_a_stream_mid_way_leaves_the_kernel_usable(kernel, shared_data, tmp_path):
    k = kernel(kernel_env(tmp_path, shared_data))
    assert k.run(ENDLESS_STREAM).problems() == []
    ports = []
    for attempt in range(3):  # stream, interrupt; run the server cell again; stream, interrupt; ...
        ran = k.run(DOWNLOAD, watch=interrupt_after(k, 50))
        assert ran.status == "error" and ran.outputs[-1] == ("error", "KeyboardInterrupt: "), ran.outputs[-3:]
        assert re.fullmatch(r"(tick \d+\n)+", ran.stdout), ran.stdout[-300:]
        pong = k.run('print(server.client.get("/ping").json(), server.port, server.errors)')
        assert pong.problems() == [] and pong.stdout.startswith("pong "), pong.outputs
        ports.append(int(pong.stdout.split()[1]))
        assert pong.stdout.rstrip().endswith("[]"), f"a client that went away counted as an app error: {pong.stdout}"
        streams = k.run(STREAMS_LEFT)
        assert streams.stdout.strip() == "0", f"the server still sends to the client that went away: {streams.outputs}"
        assert k.run(ENDLESS_STREAM).problems() == []  # the learner runs the server cell again
    found = k.inventory()
    assert_only_live_servers(found)
    assert [name for name, _, running in found["servers"]] == ["ticks"]
    assert not set(ports) & set(found["listening"]), "a replaced server still listens"


SLOW_ANSWER = '''
def file_chunks(path, chunk_size=1024 * 1024):
    """Yield the file at `path` in pieces of `chunk_size` bytes; the last may be shorter."""
    open({marker!r}, "w").close()
    while True:  # a loop that never ends: the learner stops the cell
        pass
    yield b""
'''


def test_interrupting_a_running_check_stops_its_thread(kernel, shared_data, tmp_path):
    """Stop pressed while check("1.1") runs the learner's endless loop: the cell stops at once, the check's
    thread ends, and after fixing the answer the same kernel passes the check."""
    learner = tmp_path / "learner"
    learner.mkdir()
    module = learner / "ch01_chunk_generators.py"
    solution = (ROOT / "solutions" / "ch01_chunk_generators.py").read_text()
    marker = tmp_path / "answer-started"
    module.write_text(textwrap.dedent(SLOW_ANSWER).format(marker=str(marker)))
    # A time limit far longer than the test waits: the cell may only end because of the interrupt.
    k = kernel(dict(kernel_env(tmp_path, shared_data, answers=str(learner)), COURSE_CHECK_TIMEOUT="120"))
    assert k.run("from course_lib import check").problems() == []
    interrupted = []

    def interrupt_once_running(ran):
        if marker.exists() and not interrupted:
            k.km.interrupt_kernel()
            interrupted.append(time.monotonic())

    ran = k.run('check("1.1")', watch=interrupt_once_running)
    assert interrupted and ran.status == "error", ran.outputs
    assert ran.outputs[-1][1].startswith("KeyboardInterrupt"), ran.outputs
    assert time.monotonic() - interrupted[0] < 30, "the cell went on after the interrupt, up to the check's limit"

    waited = k.run("""
import threading, time
deadline = time.monotonic() + 5
while any(t.name == "course-check" for t in threading.enumerate()) and time.monotonic() < deadline:
    time.sleep(0.05)
print(sorted(t.name for t in threading.enumerate() if t.name.startswith("course-")))
""")
    assert waited.stdout.strip() == "[]", f"threads left by the interrupted check: {waited.stdout}"

    module.write_text(solution)  # the learner fixes the answer and runs the check again
    stamp = time.time_ns() + 1_000_000_000
    os.utime(module, ns=(stamp, stamp))
    again = k.run('check("1.1")')
    assert again.problems() == [] and again.shown.startswith("✓ 1.1 "), again.outputs
    assert_only_live_servers(k.inventory())


STALLED_EXPORT = '''

def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    def rows():
        yield "id,created,customer,item,notes,quantity,price_cents,status\\r\\n"
        open({marker!r}, "w").close()
        while True:  # the next row never comes: a loop that never yields
            pass
    return StreamingResponse(rows(), media_type="text/csv")
'''
LIBRARY_SINGLETONS = {"zmq.utils.garbage.GarbageCollectorThread", "tqdm._monitor.TMonitor"}
# Worker threads of event loops that are closed: left behind by a server that has stopped.
ORPHAN_WORKERS = """
import threading as _threading, time as _time
def _orphans():
    return [t for t in _threading.enumerate() if getattr(getattr(t, "loop", None), "is_closed", lambda: False)()]
_deadline = _time.monotonic() + 15  # idle workers leave on their own once their loop has closed
while _orphans() and _time.monotonic() < _deadline:
    _time.sleep(0.1)
print(len(_orphans()))
"""


def test_interrupting_a_check_on_a_stalled_sync_stream_leaves_no_worker_thread(kernel, shared_data, tmp_path):
    """Stop pressed while check("2.1") waits on the learner's sync generator, stuck in a loop that never yields:
    the cell stops, the check's server stops, and no thread keeps running the learner's loop (it would hold a
    CPU core until the kernel restarts)."""
    learner = tmp_path / "learner"
    learner.mkdir()
    for module in (ROOT / "solutions").glob("ch*.py"):
        (learner / module.name).write_text(module.read_text())
    marker = tmp_path / "stream-started"
    with (learner / "ch02_streaming_response.py").open("a") as f:  # the later definition wins
        f.write(STALLED_EXPORT.format(marker=str(marker)))
    k = kernel(dict(kernel_env(tmp_path, shared_data, answers=str(learner)), COURSE_CHECK_TIMEOUT="120"))
    assert k.run("from course_lib import check").problems() == []
    interrupted = []

    def interrupt_once_streaming(ran):
        if marker.exists() and not interrupted:
            k.km.interrupt_kernel()
            interrupted.append(time.monotonic())

    ran = k.run('check("2.1")', watch=interrupt_once_streaming)
    assert interrupted and ran.outputs[-1][1].startswith("KeyboardInterrupt"), ran.outputs
    assert k.run(ORPHAN_WORKERS).stdout.strip() == "0", "a worker thread still runs the learner's endless loop"
