"""Small measuring tools the checks share: sizes in words, sample files, open files, peak memory,
bytes read, files left unclosed, a slow pipe."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import random
import select
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Iterator


from ..measure import KiB, MiB, is_open, size, traced_peak  # noqa: F401 - shared with the checks

def sizes(chunks: list[int], most: int = 6) -> str:
    """A list of chunk sizes in words, shortened in the middle when long."""
    words = [size(n) for n in chunks]
    if len(words) > most:
        words = words[: most - 2] + [f"… {len(words) - most + 1} more …"] + words[-1:]
    return f"{len(chunks)} chunk{'s' if len(chunks) != 1 else ''}" + (f": {', '.join(words)}" if words else "")


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="course-check-") as folder:
        yield Path(folder)


def sample_bytes(n: int, seed: int = 1) -> bytes:
    """`n` bytes that do not repeat in any short period (so a chunk read twice or skipped shows)."""
    return random.Random(seed).randbytes(n)


def write_sample(path: Path, n: int, seed: int = 1) -> bytes:
    data = sample_bytes(n, seed)
    path.write_bytes(data)
    return data


@contextlib.contextmanager
def peak_memory() -> Iterator[list[int]]:
    """`with peak_memory() as peak: ...` then `peak[0]`: measure.traced_peak, in the form the checks use."""
    result = [0]
    with traced_peak() as traced:
        yield result
    result[0] = traced.peak


def thread_bytes_read() -> int | None:
    """Bytes this thread has read so far through read() calls (Linux `rchar`), or None where the OS does not say.

    Read it before and after running some code in the same thread: the difference is what that code read,
    whether from a file, a pipe or a socket, and whatever Python object did the reading.
    """
    try:
        with open("/proc/thread-self/io", "rb", buffering=0) as f:
            text = f.read(4096)
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(b"rchar:"):
            return int(line.split()[1])
    return None


@contextlib.contextmanager
def unclosed_files() -> Iterator[list[str]]:
    """Files left for the garbage collector to close inside the block (CPython's ResourceWarning).

    A generator that opens a file without `with` still has it closed when the generator is dropped, so
    the OS cannot tell; the warning can.  `with unclosed_files() as leaked: ...`, then look at `leaked`.
    """
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield found
    found.extend(str(w.message) for w in caught if issubclass(w.category, ResourceWarning))


class SlowPipe:
    """A named pipe (FIFO) fed by a thread that writes one piece every `interval` seconds, then closes it.

    Reading it is slow for real: a read() waits in the kernel until the next piece arrives, which the page
    cache never does for a file.  The writer never blocks for good: it gives up once `deadline` seconds have
    passed (no reader came, or the reader stopped reading), and stop() ends it at once.
    `with SlowPipe(folder / "slow.pipe", pieces, 0.1) as pipe: ... pipe.path ...`
    """

    def __init__(self, path: Path, pieces: list[bytes], interval: float, deadline: float = 5.0) -> None:
        self.path = Path(path)
        self.pieces = pieces
        self.interval = interval
        self.deadline = deadline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, name="course-slow-pipe", daemon=True)

    def __enter__(self) -> "SlowPipe":
        os.mkfifo(self.path)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(2)
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _write(self) -> None:
        give_up = time.monotonic() + self.deadline
        fd = None
        while fd is None:  # O_NONBLOCK: opening fails with ENXIO instead of waiting while no reader is there
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO or time.monotonic() > give_up or self._stop.wait(0.002):
                    return
        try:
            for piece in self.pieces:
                if self._stop.wait(self.interval):
                    return
                view = memoryview(piece)
                while view:
                    left = give_up - time.monotonic()
                    if left <= 0 or self._stop.is_set():
                        return
                    if not select.select([], [fd], [], min(left, 0.05))[1]:
                        continue
                    try:
                        view = view[os.write(fd, view) :]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # the reader closed its end
                        return
        finally:
            os.close(fd)


def run_async(coroutine: Any) -> Any:
    """Run `coroutine` to its end on a new event loop in this thread, and close everything it left open.

    Like asyncio.run(), but also right after nest_asyncio2.apply() (as in a Jupyter kernel), whose patched
    asyncio.run() reuses a thread's loop and leaves it, and its worker threads, open.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        try:
            left = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in left:
                task.cancel()
            if left:
                loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
