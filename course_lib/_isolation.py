"""One graded submission in a sandbox of its own: bubblewrap's namespaces, and a cgroup for the whole of it.

bubblewrap (`bwrap`, what Flatpak uses; Debian package `bubblewrap`) starts each notebook kernel of the submission
(the only processes that run its code) in new mount, PID, IPC, UTS and user namespaces:

- the file system holds only the system's programs and libraries, this Python, and the submission's folder;
  files under /etc that other users may not read are empty there, even when the grader runs as root;
  the course and notebooks in it are read-only, only its scratch folders are writable.  The instructor's
  course folder (with `solutions/`), other submissions, the grader's files and the gradebook are not there;
- the network holds only loopback, shared with the submission's pytest and nobody else (`loopback_only`), so a
  server of the submission reaches nobody, and nobody it;
- its processes see only each other: they cannot signal pytest, the grader or another learner's run, and every
  one of them dies with the sandbox (`--die-with-parent`, and the PID namespace ends with its first process).

pytest (nbval) runs outside that sandbox, as the grader's own code, in `loopback_only`: it talks to the kernels
and writes the test report where no kernel can see it.

Where the kernel lets this process make cgroups (root, or a delegated cgroup), the whole submission also
shares one memory limit and one process limit; otherwise each process has its own memory limit only.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

MEMORY_BYTES = 6 << 30  # default for the whole submission: a notebook kernel, pytest, the servers they start
MAX_PROCESSES = 256
MAX_FILE_BYTES = 1 << 30  # the largest file any of its processes may write, its output log included
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc")
PRIVATE_UNDER = "/etc"  # where a system keeps files only their owner (or group) may read: /etc/shadow, its backup …


def private_to_owners(top: str = PRIVATE_UNDER) -> list[str]:
    """Files and folders under `top` that other users may not read (no o+r, or a folder without o+x).

    A grader run as root maps root into each sandbox's user namespace, so the submission would read them
    (/etc/shadow-, /etc/gshadow-, ...); the sandbox puts an empty file or folder over each instead: a
    submission sees only what any user of the machine could.
    """
    found = []
    for root, folders, files in os.walk(top):
        for name in sorted(folders):
            path = os.path.join(root, name)
            if not os.path.islink(path) and os.stat(path).st_mode & 0o005 != 0o005:
                found.append(path)
        folders[:] = [f for f in folders if os.path.join(root, f) not in found]
        for name in sorted(files):
            path = os.path.join(root, name)
            try:
                if not os.path.islink(path) and os.stat(path).st_mode & 0o004 == 0:
                    found.append(path)
            except OSError:
                continue
    return found


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def sandbox_problem() -> str | None:
    """None when bubblewrap can make a sandbox here; otherwise why it cannot, in one line."""
    bwrap = bwrap_path()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    # as the grader nests them: a kernel's sandbox inside pytest's loopback-only network
    inner = [bwrap, "--unshare-all", "--share-net", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
             "--dev", "/dev", "true"]  # fmt: skip
    probe = subprocess.run(loopback_only(inner), capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"bubblewrap cannot make namespaces here: {probe.stderr.strip()[:200]}"
    return None


def sandboxed(command: list[str], work: Path, read_only: list[Path], readable: tuple[Path, ...] = (),
              share_network: bool = False, unset: tuple[str, ...] = ()) -> list[str]:
    """`command` wrapped in bwrap: `work` writable, `read_only` (inside `work`) and `readable` not, nothing else of
    ours.  With `share_network` it keeps the caller's network namespace (run the caller in `loopback_only`);
    otherwise it has a loopback of its own.  It starts in the caller's working folder if that is inside, without
    the environment variables named in `unset`."""
    argv = [bwrap_path() or "bwrap", "--unshare-all", *(["--share-net"] if share_network else []),
            *(option for name in unset for option in ("--unsetenv", name)),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "submission",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]  # fmt: skip
    for folder in SYSTEM_DIRS:
        if Path(folder).exists():
            argv += ["--ro-bind", folder, folder]
    for hidden in private_to_owners():
        argv += ["--tmpfs", hidden] if os.path.isdir(hidden) else ["--ro-bind", "/dev/null", hidden]
    for folder in sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.prefix)}):
        argv += ["--ro-bind", str(folder), str(folder)]
    argv += ["--bind", str(work), str(work)]
    for path in [*read_only, *readable]:
        argv += ["--ro-bind", str(path), str(path)]
    return argv + ["--", *command]


def loopback_only(command: list[str]) -> list[str]:
    """`command` with everything of this host but its network: a network namespace that holds only loopback.
    The grader runs a submission's pytest so; its kernels (sandboxed(share_network=True)) join that loopback."""
    return [bwrap_path() or "bwrap", "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", "--", *command]


class SubmissionCgroup:
    """A memory and a pids cgroup (v1 or v2) holding every process of one submission, if this host allows it."""

    def __init__(self, memory_bytes: int = MEMORY_BYTES) -> None:
        self.folders: list[Path] = []
        name = f"course-grade-{uuid.uuid4().hex[:12]}"
        limits = (("memory", self._memory_settings(memory_bytes)), ("pids", self._pids_settings()))
        self.accounting = self._make("cpuacct", name)  # CPU time of the whole submission (cgroup v1)
        if self.accounting is not None:
            self.folders.append(self.accounting)
        for controller, settings in limits:
            folder = self._make(controller, name)
            if folder is None:
                continue
            try:
                for file, value in settings.items():
                    if (folder / file).exists():
                        (folder / file).write_text(str(value))
                self.folders.append(folder)
            except OSError:
                with contextlib.suppress(OSError):
                    folder.rmdir()

    @staticmethod
    def _memory_settings(memory_bytes: int) -> dict[str, int]:
        return {"memory.limit_in_bytes": memory_bytes, "memory.max": memory_bytes, "memory.swap.max": 0}

    @staticmethod
    def _pids_settings() -> dict[str, int]:
        return {"pids.max": MAX_PROCESSES}

    @staticmethod
    def _make(controller: str, name: str) -> Path | None:
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                base = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
                break
        else:  # cgroup v2 only: one hierarchy
            unified = [line.split(":", 2)[2] for line in lines if line.startswith("0::")]
            if not unified:
                return None
            base = Path("/sys/fs/cgroup") / unified[0].lstrip("/")
        try:
            folder = base / name
            folder.mkdir()
            return folder
        except OSError:
            return None

    @property
    def whole(self) -> bool:
        """True when both the memory and the process limit hold for the submission as a whole."""
        return len([f for f in self.folders if f != self.accounting]) == 2

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) every process of the submission used, where the host accounts it."""
        candidates = [(self.accounting, "cpuacct.usage", 1e9)] if self.accounting else []
        candidates += [(folder, "cpu.stat", 1e6) for folder in self.folders]  # cgroup v2: usage_usec
        for folder, file, per_second in candidates:
            try:
                text = (folder / file).read_text()
            except OSError:
                continue
            if file == "cpu.stat":
                usage = dict(line.split() for line in text.splitlines() if line.strip())
                if "usage_usec" in usage:
                    return int(usage["usage_usec"]) / per_second
                continue
            return int(text.strip()) / per_second
        return None

    def enter(self) -> None:
        """Put the calling process (a child, before exec) into the cgroups; its descendants follow."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def kill_all(self) -> None:
        for folder in self.folders:
            for _ in range(50):
                try:
                    pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                # No reaping here: the grader's only child is bwrap, whose Popen.wait() must see its real
                # exit status; reaping it (or another submission's) here would make that status read 0.
                time.sleep(0.05)

    def remove(self) -> None:
        self.kill_all()
        for folder in self.folders:
            with contextlib.suppress(OSError):
                folder.rmdir()


def limit_child(cgroup: SubmissionCgroup | None, memory_bytes: int = MEMORY_BYTES) -> None:
    """In the child before exec: join the cgroup, and per-process limits that hold without one."""
    if cgroup is not None:
        cgroup.enter()
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    if cgroup is None or not cgroup.whole:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
