"""A fence for graded submissions, installed at interpreter start through `sitecustomize` by the grader.

With COURSE_SANDBOX=<folder> every Python process that runs a submission's code (the notebook kernels, and any
Python they start with the fence in place) refuses, through an audit hook (PEP 578):

- writing, creating, renaming or deleting anything outside <folder> (and /dev);
- starting programs other than Python itself (with the fence in place) and curl/wget;
- os.system, exec and fork, binding a socket to anything but loopback,
- resolving C functions through ctypes other than the one course_lib uses.

This stops the accidents and the naive attacks a class produces (`shutil.rmtree("..")`, writing into the
instructor's files, a server on every interface).  It is not a security boundary against a determined attacker:
audit hooks can be sidestepped from C, or by a child started with `python -S` or `-I`; the boundary is bubblewrap's
sandbox (_isolation.py), and tests/test_grade.py shows each such escape stopped there.
The file must stay importable on its own: the grader copies it next to the submission as `_course_sandbox.py`.
"""

import os
import sys

_ALLOWED_PROGRAMS = {"curl", "wget"}
_ALLOWED_SYMBOLS = {"PyThreadState_SetAsyncExc"}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.replace": (0, 1),
    "os.link": (1,),
    "os.symlink": (1,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "sqlite3.connect": (0,),
}
_FORBIDDEN = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty"}


def install(root: str) -> None:
    root = os.path.realpath(root)
    python = os.path.realpath(sys.executable)

    def inside(path: object) -> bool:
        if path is None or isinstance(path, int):
            return True  # an already open file descriptor: its opening was checked
        try:
            text = os.fsdecode(path)  # type: ignore[arg-type]
        except TypeError:
            return True
        if text == ":memory:" or text.startswith("file::memory:"):
            return True
        real = os.path.realpath(text)
        return real == root or real.startswith(root + os.sep) or real.startswith("/dev/")

    def refuse(what: str) -> None:
        raise PermissionError(f"a graded submission may not {what}")

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            writing = bool(mode and any(c in str(mode) for c in "wax+")) or bool((flags or 0) & _WRITE_FLAGS)
            if writing and not inside(path):
                refuse(f"write outside its own folder: {os.fsdecode(path)}")
        elif event in _PATH_EVENTS:
            for index in _PATH_EVENTS[event]:
                if index < len(args) and not inside(args[index]):
                    refuse(f"change files outside its own folder ({event}): {os.fsdecode(args[index])}")
        elif event in _FORBIDDEN:
            refuse(f"call {event}")
        elif event == "subprocess.Popen":
            executable, argv, _cwd, env = args
            program = os.fsdecode(executable or (argv[0] if isinstance(argv, (list, tuple)) and argv else argv))
            is_python = os.path.realpath(program) == python or program == sys.executable
            fenced = env is None or (env.get("COURSE_SANDBOX") or env.get(b"COURSE_SANDBOX")) is not None
            if not ((is_python and fenced) or os.path.basename(program) in _ALLOWED_PROGRAMS):
                refuse(f"start the program {program}")
        elif event == "socket.bind":
            address = args[1]
            host = address[0] if isinstance(address, tuple) else address
            if isinstance(host, str) and host not in _LOOPBACK:
                refuse(f"listen on {host or 'every interface'}: only 127.0.0.1")
        elif event == "ctypes.dlsym":
            name = args[1] if len(args) > 1 else None
            if name not in _ALLOWED_SYMBOLS:
                refuse(f"call C functions through ctypes ({name})")

    sys.addaudithook(hook)


if os.environ.get("COURSE_SANDBOX"):
    install(os.environ["COURSE_SANDBOX"])
