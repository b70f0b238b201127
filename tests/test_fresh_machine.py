"""A fresh machine: the committed course cloned into an empty folder, and the README's setup run there as written.

`make lab` must create .venv, install requirements.txt from the package index, and print the link to open
with nothing of its recipe and no INFO noise around it; the URL it prints must answer, a kernel started there must be the new .venv's Python with the
clone's course_lib, and Ctrl-C (SIGINT) must stop everything it started.  `make test`, the README's other
command, is not run from inside the test suite (it would run this test again); CI runs it on a clean checkout.

Skipped, with the reason, where git or make is missing, outside a git checkout, or when pip cannot reach the
package index it is configured with.  Takes a minute or two with pip's cache, several without.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from conftest import ROOT
from test_jupyterlab import stop_process_group

pytestmark = pytest.mark.timeout(1200)  # installs requirements.txt into a new venv

GIT, MAKE = shutil.which("git"), shutil.which("make")
SETUP_TIMEOUT = 1200  # a new .venv and every pinned package, on a loaded machine without pip's cache
RUNNING = re.compile(r"copy and paste one of these URLs:\s*\n\s*(http://127\.0\.0\.1:(\d+)/\S*\?token=([\w-]+))")


def readme_setup_commands() -> list[str]:
    """The commands in the README's "Setup" section's shell block, comments dropped."""
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## Setup.*?\n```sh\n(.*?)```", text, re.S | re.M)
    assert section, "README.md has no '## Setup' section with a ```sh block"
    lines = [line.split("#")[0].strip() for line in section.group(1).splitlines()]
    return [line for line in lines if line]


def committed_head() -> str | None:
    if GIT is None:
        return None
    result = subprocess.run([GIT, "-C", str(ROOT), "rev-parse", "--verify", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def index_unreachable(folder: Path) -> str | None:
    """Why pip cannot fetch a pinned package here, or None when it can (asked the way `make` will ask)."""
    pinned = next(
        line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
         "--dest", str(folder), pinned],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if result.returncode == 0:
        return None
    return f"pip cannot fetch {pinned}: " + (result.stderr.strip().splitlines() or ["(no message)"])[-1]


def test_readme_setup_is_exactly_make_lab_and_make_test():
    assert readme_setup_commands() == ["make lab", "make test"]


@pytest.mark.skipif(GIT is None, reason="git is not installed: the fresh-machine test clones the repository")
@pytest.mark.skipif(MAKE is None, reason="make is not installed")
def test_make_lab_on_a_fresh_clone_reaches_a_running_jupyterlab(tmp_path):
    if committed_head() is None:
        pytest.skip("not a git checkout with a commit: nothing to clone")
    offline = index_unreachable(tmp_path / "probe")
    if offline:
        pytest.skip(f"offline: {offline}")

    clone = tmp_path / "clone"
    cloned = subprocess.run([GIT, "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert cloned.returncode == 0, cloned.stderr
    assert not (clone / ".venv").exists() and not (clone / ".course").exists()

    command = readme_setup_commands()[0]
    assert command == "make lab"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "JUPYTER", "VIRTUAL_ENV", "PYTHON"))}
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),  # a machine with no Jupyter settings of its own
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        BROWSER="true",  # JupyterLab opens the learner's browser; here that opens nothing
    )
    log = tmp_path / "make-lab.log"
    with log.open("wb") as out:
        make = subprocess.Popen(["sh", "-c", command], cwd=clone, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip

    def tail(lines=40):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    started: set[psutil.Process] = set()
    try:
        deadline = time.monotonic() + SETUP_TIMEOUT
        while (running := RUNNING.search(log.read_text(errors="replace"))) is None:
            assert make.poll() is None, f"`make lab` exited with {make.returncode}:\n{tail()}"
            assert time.monotonic() < deadline, f"no running JupyterLab after {SETUP_TIMEOUT} s:\n{tail()}"
            time.sleep(0.5)
        url, port, token = running.group(1), running.group(2), running.group(3)
        made = log.read_text(errors="replace")
        assert "Creating .venv with Python 3." in made and "Installing requirements.txt" in made, made[:2000]
        assert "Open the http://127.0.0.1 link printed below" in made, made[:2000]
        noise = [line for line in made.splitlines() if line.startswith("[I ") or "jupyter lab --" in line]
        assert noise == [], "make lab shows its recipe or Jupyter's INFO lines:\n" + "\n".join(noise[:10])

        page = httpx.get(url, timeout=30, follow_redirects=True)
        assert page.status_code == 200 and "JupyterLab" in page.text, page.status_code
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"token {token}"}, timeout=30)
        assert api.get("/api/contents/notebooks/01_chunk_generators.ipynb", params={"content": 0}).status_code == 200

        kernel = api.post("/api/kernels", json={"name": "python3"}).json()
        started.update(psutil.Process(make.pid).children(recursive=True))
        connection = Path(env["JUPYTER_RUNTIME_DIR"]) / f"kernel-{kernel['id']}.json"
        shown = run_in_kernel(connection, "import sys, course_lib; print(sys.executable); print(course_lib.__file__)")
        executable, course_lib_file = shown.split()
        assert executable.startswith(str(clone / ".venv")), f"the kernel runs {executable}, not the clone's .venv"
        assert course_lib_file.startswith(str(clone / "course_lib")), course_lib_file
    finally:
        started.update(psutil.Process(make.pid).children(recursive=True) if make.poll() is None else [])
        stopped_by, left = stop_process_group(make, started)
    assert left == [], f"still running 30 s after Ctrl-C (SIGINT) to `make lab`:\n{tail()}"
    assert stopped_by == "SIGINT", f"`make lab` did not stop on Ctrl-C (SIGINT):\n{tail()}"
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=5)


def run_in_kernel(connection_file: Path, code: str, timeout: float = 120) -> str:
    """Run `code` in the kernel JupyterLab started and return what it printed."""
    from jupyter_client import BlockingKernelClient

    deadline = time.monotonic() + 30
    while not connection_file.exists():
        assert time.monotonic() < deadline, f"no connection file {connection_file.name}"
        time.sleep(0.1)
    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        printed = []
        reply = client.execute_interactive(
            code, timeout=timeout, output_hook=lambda msg: printed.append(msg["content"].get("text", ""))
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed)
    finally:
        client.stop_channels()
