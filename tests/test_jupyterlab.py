"""The learner's way through every notebook: JupyterLab started by `make lab`, driven in headless Chromium.

nbval runs notebooks the way a grader does; this runs them the way a learner does.  `make lab`'s own recipe
(`make -o setup lab`, the already-installed Python as PY) serves a temporary copy of the course, so
JupyterLab's autosave never touches the repository.  Playwright drives the system's Chromium (no browser
download): it opens each notebook, clicks Run > Run All Cells, waits on the page's own state (every prompt
numbered, the kernel idle), and reads what the learner would see from the DOM.

Answers come from the copy's `exercises/` with COURSE_ANSWERS unset, as for a learner: the reference
solutions copied there make every cell run with no error and every check cell print its ✓ line; with the
stubs Run All still reaches the last cell, every check cell shows "not written yet" and the closing
progress table lists them.  Also from the page: the README's helpers called in a notebook each show one output
and do what the README says, an exercise heading's link opens the exercise file in JupyterLab's editor, a
notebook opens without unsaved changes, and a JupyterLab terminal runs the course's commands as printed.
A screenshot per notebook and direction lands in test-artifacts/jupyterlab/ (COURSE_TEST_ARTIFACTS names
another folder).
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from course_lib._answers import STUBS, write_stubs
from course_lib.registry import exercise_ids
from conftest import ROOT
from test_notebooks import NOTEBOOKS, check_cells

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MAKE = shutil.which("make")
ARTIFACTS = Path(os.environ.get("COURSE_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "jupyterlab"
COURSE_PARTS = ("Makefile", "requirements.txt", "course.toml", "notebooks", "course_lib", "exercises", "solutions")
START_TIMEOUT = 120  # JupyterLab's first start on a loaded machine
RUN_TIMEOUT = 240  # one notebook, Run All Cells, on a loaded machine

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - playwright is pinned in requirements.txt
    sync_playwright = None

pytestmark = [
    pytest.mark.timeout(900),  # a real JupyterLab and Chromium; Run All of a whole notebook
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (.ci/run installs Debian's chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="the playwright package is not installed"),
    pytest.mark.skipif(MAKE is None, reason="make is not installed: the test starts JupyterLab with `make lab`"),
]


# -- JupyterLab, started by the Makefile's lab recipe --------------------------------------------------


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_course(target: Path) -> Path:
    """The course files, and `.venv` standing for this Python's environment, so that the commands the course
    prints (`.venv/bin/python -m course_lib ...`) work in the copy as in a learner's working copy."""
    target.mkdir(parents=True)
    for part in COURSE_PARTS:
        source = ROOT / part
        if source.is_dir():
            skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
            shutil.copytree(source, target / part, symlinks=True, ignore=skip)  # notebooks/course_lib stays a link
        else:
            shutil.copy2(source, target / part)
    (target / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    return target


def write_lab_settings(user_settings: Path) -> None:
    """JupyterLab settings a test needs, in a user-settings folder (`LabApp.user_settings_dir`)."""
    settings = user_settings / "@jupyterlab"
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "notebook-extension").mkdir(parents=True)
    # No "get notified about Jupyter news?" toast over the notebook (answering it would fetch from the web).
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    # The notebook's own kernel, without the "Select Kernel" dialog JupyterLab sometimes shows first (its
    # "Always start the preferred kernel" box); every cell in the page at once, so the DOM holds all outputs.
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"autoStartDefaultKernel": True, "windowingMode": "none"})
    )


def isolated_jupyter_config(folder: Path, port: int, token: str) -> dict:
    """Settings only a test needs, in a config folder of its own (the learner's ~/.jupyter is not read):
    a fixed port and token, no browser window, and JupyterLab's settings and workspaces kept in `folder`."""
    write_lab_settings(folder / "lab-settings")
    config = {
        "ServerApp": {"port": port, "port_retries": 0, "open_browser": False},
        "IdentityProvider": {"token": token},
        "LabApp": {"open_browser": False, "user_settings_dir": str(folder / "lab-settings"),
                   "workspaces_dir": str(folder / "lab-workspaces")},  # fmt: skip
    }
    for name in ("jupyter_server_config.json", "jupyter_lab_config.json"):
        (folder / name).write_text(json.dumps(config))
    return {
        "JUPYTER_CONFIG_DIR": str(folder),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(folder / "lab-workspaces"),
    }



def stubs_folder() -> Path:
    """The stubs a new learner starts from (made from solutions/)."""
    write_stubs()
    return STUBS


class Lab:
    def __init__(self, course: Path, process: subprocess.Popen, port: int, token: str, log: Path) -> None:
        self.course, self.process, self.token, self.log = course, process, token, log
        self.url = f"http://127.0.0.1:{port}"
        self.api = httpx.Client(base_url=self.url, headers={"Authorization": f"token {token}"}, timeout=30)
        self.descendants: set[psutil.Process] = set()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def remember_descendants(self) -> None:
        """Every process make started so far (jupyter, its kernels), to prove at the end that none is left."""
        try:
            self.descendants.update(psutil.Process(self.process.pid).children(recursive=True))
        except psutil.NoSuchProcess:
            pass

    def use_answers(self, folder: Path) -> None:
        """Put these modules in the copy's exercises/, as a learner's edits would be."""
        given = {p.name for p in folder.glob("ch*.py")}
        missing = {p.name for p in (self.course / "exercises").glob("ch*.py")} - given
        assert not missing, f"{folder.relative_to(ROOT)} has no {', '.join(sorted(missing))}"
        for module in folder.glob("ch*.py"):
            shutil.copy2(module, self.course / "exercises" / module.name)
            stamp = time.time_ns()
            os.utime(self.course / "exercises" / module.name, ns=(stamp, stamp))

    def wait_for_kernel_connected(self, path: str) -> None:
        """Until the notebook at `path` has a started kernel with the page connected to it."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for session in self.api.get("/api/sessions").json():
                kernel = session.get("kernel") or {}
                ready = kernel.get("execution_state") == "idle" and kernel.get("connections")
                if session.get("path") == path and ready:
                    return
            time.sleep(0.2)
        pytest.fail(f"no kernel connected to {path} within {START_TIMEOUT} s:\n{self.log_tail()}")

    def shut_down_kernels(self) -> None:
        for session in self.api.get("/api/sessions").json():
            self.api.delete(f"/api/sessions/{session['id']}")
        for kernel in self.api.get("/api/kernels").json():
            self.api.delete(f"/api/kernels/{kernel['id']}")


def start_lab(course: Path, config_dir: Path, env: dict) -> Lab:
    port, token = free_port(), secrets.token_urlsafe(24)
    env = dict(env, **isolated_jupyter_config(config_dir, port, token))
    log = config_dir / "jupyterlab.log"
    with log.open("wb") as out:
        # -o setup: the recipe of `make lab` itself, without making a .venv in the copy; PY is this Python.
        process = subprocess.Popen([MAKE, "-s", "-o", "setup", "lab", f"PY={sys.executable}"], cwd=course, env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    lab = Lab(course, process, port, token, log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"`make lab` exited with {process.returncode} before JupyterLab answered:\n{lab.log_tail()}")
        try:
            if lab.api.get("/api/status", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_process_group(process, psutil.Process(process.pid).children(recursive=True))
            pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT} s:\n{lab.log_tail()}")
        time.sleep(0.2)
    lab.remember_descendants()
    return lab


def stop_process_group(process: subprocess.Popen, descendants=(), timeout: float = 30) -> tuple[str, list[str]]:
    """Ctrl-C: SIGINT to the whole group, as a terminal sends it, then wait for `process` and every one of
    `descendants` (kernels run in sessions of their own; JupyterLab shuts them down as it exits).
    Returns the signal that stopped it all (SIGKILL when SIGINT did not) and what was still running then."""
    stopped_by = "SIGINT"
    try:
        os.killpg(process.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        stopped_by = "SIGKILL"
    _, alive = psutil.wait_procs(list(descendants), timeout=timeout)
    left = leftover(alive)
    if stopped_by == "SIGKILL" or alive:
        stopped_by = "SIGKILL"
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()
        process.wait(timeout)
    return stopped_by, left


def leftover(processes) -> list[str]:
    alive = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{p.pid}: {' '.join(p.cmdline())[:200]}")
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    base = tmp_path_factory.mktemp("jupyterlab")
    course = copy_course(base / "course")
    (base / "jupyter").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "JUPYTER"))}
    env.update(
        PYTHONPATH=str(course),  # ahead of any .pth that `make setup` wrote for the repository itself
        COURSE_PROGRESS=str(base / "progress.json"),
        COURSE_DATA=str(base / "data"),
        BROWSER="true",  # should JupyterLab still try to open a browser window, it opens nothing
    )
    lab = start_lab(course, base / "jupyter", env)
    lab.progress_file = Path(env["COURSE_PROGRESS"])
    yield lab
    lab.remember_descendants()
    stopped_by, left = stop_process_group(lab.process, lab.descendants)
    assert left == [], f"still running 30 s after Ctrl-C (SIGINT) to `make lab`:\n{lab.log_tail()}"
    assert stopped_by == "SIGINT", f"`make lab` did not stop on Ctrl-C (SIGINT):\n{lab.log_tail()}"


@pytest.fixture(scope="module")
def browser():
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


# -- running a notebook in the page -------------------------------------------------------------------

PROMPTS = "[...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')]"
KERNEL_STATUS = "document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator')"
# Every cell of the notebook is in the page, the kernel idle, and no dialog in the way.  (Before its kernel
# has started, a notebook shows "idle" for a moment too: see Lab.wait_for_kernel_connected.)
KERNEL_READY = f"""(cells) => {{
    const status = {KERNEL_STATUS};
    return document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length === cells
        && status !== null && status.dataset.status === 'idle' && document.querySelector('.jp-Dialog') === null;
}}"""
RUN_STARTED = f"() => {PROMPTS}.some(p => p.textContent.trim() !== '[ ]:')"
# Run All Cells marks every cell [*] at once; it has finished when no cell is waiting any more, some cell has
# a number, and the kernel is idle.  (With the stubs the cells after the first failing check stay [ ].)
RUN_FINISHED = f"""() => {{
    const prompts = {PROMPTS}.map(p => p.textContent.trim());
    const status = {KERNEL_STATUS};
    return prompts.length > 0 && !prompts.includes('[*]:') && prompts.some(p => /^\\[\\d+\\]:$/.test(p))
        && status !== null && status.dataset.status === 'idle';
}}"""
# What each code cell shows: its prompt, and each output's MIME type and text.
READ_CELLS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')].map(cell => ({
    prompt: cell.querySelector('.jp-InputArea-prompt').textContent.trim(),
    outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => ({
        mime: o.dataset.mimeType || '', text: o.textContent })),
}))"""


def run_all_cells(lab: Lab, browser, notebook: str, screenshot: Path, after=None) -> list[dict]:
    """Open `notebook` in JupyterLab, Run > Run All Cells, wait for the end; what every code cell shows.
    `after(page)`, if given, runs once the cells are read, before the page closes."""
    cell_count = len(json.loads((lab.course / "notebooks" / notebook).read_text())["cells"])
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # ?reset: a fresh workspace, so notebooks opened by earlier tests are not reopened with their kernels.
        page.goto(f"{lab.url}/lab/tree/notebooks/{notebook}?reset&token={lab.token}")
        lab.wait_for_kernel_connected(f"notebooks/{notebook}")
        page.wait_for_function(KERNEL_READY, arg=cell_count, timeout=START_TIMEOUT * 1000, polling=250)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            page.wait_for_function(RUN_STARTED, timeout=60_000, polling=100)
        except PlaywrightTimeout:
            page.screenshot(path=str(screenshot))
            pytest.fail(f"Run > Run All Cells did not start the cells within 60 s; screenshot: {screenshot}")
        try:
            page.wait_for_function(RUN_FINISHED, timeout=RUN_TIMEOUT * 1000, polling=250)
        except PlaywrightTimeout:
            page.screenshot(path=str(screenshot))
            cells = page.evaluate(READ_CELLS)
            running = [n for n, cell in enumerate(cells) if cell["prompt"] == "[*]:"]
            pytest.fail(
                f"Run All Cells had not finished after {RUN_TIMEOUT} s; prompts: {[c['prompt'] for c in cells]}\n"
                + (f"cell {running[0]} shows:\n{shown(cells[running[0]])}\n" if running else "")
                + f"screenshot: {screenshot}\nJupyterLab's log:\n{lab.log_tail()}"
            )
        lab.remember_descendants()
        cells = page.evaluate(READ_CELLS)
        if after is not None:
            after(page)
        first_check = min(check_cells(lab.course / "notebooks" / notebook), default=None)
        if first_check is not None:
            page.locator(".jp-NotebookPanel .jp-CodeCell").nth(first_check).scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot))
        return cells
    finally:
        page.close()
        lab.shut_down_kernels()


VIDEO_LISTING = ".jp-NotebookPanel .jp-CodeCell:has(.cm-content:has-text('ranges the browser asked for'))"


def browser_seeks_the_video(page) -> None:
    """Notebook 03's <video> plays in this page: run its listing cell again until the browser has asked for a
    later offset, and prove that the listing holds only the browser's own requests."""
    cell = page.locator(VIDEO_LISTING)
    deadline = time.monotonic() + 90
    while True:
        prompt = cell.locator(".jp-InputArea-prompt")
        before = prompt.text_content()
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")
        while prompt.text_content() in (before, "[*]:"):
            assert time.monotonic() < deadline, "the listing cell did not run again"
            page.wait_for_timeout(100)
        listing = cell.locator(".jp-OutputArea-output").last.text_content() or ""
        asked = re.findall(r"'(bytes=\d+-\d*|no Range)'", listing)
        if any(re.fullmatch(r"bytes=[1-9]\d*-\d*", a) for a in asked):
            break
        assert time.monotonic() < deadline, f"the browser asked for no later offset within 90 s:\n{listing}"
        page.wait_for_timeout(1000)
    assert asked[0] == "bytes=0-", listing  # the player's first request; the notebook itself sent none


def shown(cell: dict) -> str:
    return "\n".join(f"[{o['mime']}] {o['text'].strip()[:600]}" for o in cell["outputs"]) or "(no output)"


def problems(cell: dict) -> list[str]:
    """What would look wrong to a learner: anything on stderr (tracebacks render there) or a broken widget."""
    return [
        o["text"].strip()[:1500]
        for o in cell["outputs"]
        if o["mime"] == "application/vnd.jupyter.stderr" or "Error displaying widget" in o["text"]
    ]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_jupyterlab_runs_every_cell_with_the_solutions(notebook, lab, browser):
    lab.use_answers(ROOT / "solutions")
    screenshot = ARTIFACTS / f"{notebook.stem}-solutions.png"
    after = browser_seeks_the_video if notebook.name == "03_range_requests.ipynb" else None
    cells = run_all_cells(lab, browser, notebook.name, screenshot, after)

    source_cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    assert len(cells) == len(source_cells), f"the page shows {len(cells)} code cells, the file {len(source_cells)}"
    shows_problem = {n: problems(cell) for n, cell in enumerate(cells) if problems(cell)}
    assert shows_problem == {}, f"cells show an error (screenshot: {screenshot}):\n" + "\n\n".join(
        f"cell {n}:\n" + "\n".join(texts) for n, texts in shows_problem.items()
    )
    prompts = [cell["prompt"] for cell in cells]
    assert prompts == [f"[{n}]:" for n in range(1, len(cells) + 1)], f"not every cell ran, in order: {prompts}"
    for number, exercise_id in check_cells(notebook).items():
        text = "\n".join(o["text"] for o in cells[number]["outputs"]).strip()
        assert text.startswith(f"✓ {exercise_id} "), f"check cell {number} shows:\n{shown(cells[number])}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_jupyterlab_run_all_reaches_the_last_cell_with_the_stubs(notebook, lab, browser):
    lab.use_answers(stubs_folder())
    screenshot = ARTIFACTS / f"{notebook.stem}-stubs.png"
    cells = run_all_cells(lab, browser, notebook.name, screenshot)

    prompts = [cell["prompt"] for cell in cells]
    assert prompts == [f"[{n}]:" for n in range(1, len(cells) + 1)], f"Run All did not reach every cell: {prompts}"
    checks = check_cells(notebook)
    others = {n: problems(cell) for n, cell in enumerate(cells) if problems(cell) and n not in checks}
    assert others == {}, "cells other than checks show an error:\n" + "\n\n".join(
        f"cell {n}:\n" + "\n".join(texts) for n, texts in others.items()
    )
    for number, exercise_id in checks.items():
        message = problems(cells[number])  # an error output: JupyterLab's pink box, and nbval's failure
        assert len(message) == 1, f"check cell {number} shows:\n{shown(cells[number])}"
        assert re.fullmatch(rf"… {re.escape(exercise_id)} \w+ is not written yet: edit exercises/ch\d\d_\w+\.py",
                            message[0]), message[0]  # fmt: skip
    summary = "\n".join(o["text"] for o in cells[-1]["outputs"])
    for exercise_id in checks.values():
        assert re.search(rf"^… {re.escape(exercise_id)} .*not written yet", summary, re.M), summary
    assert re.search(rf"^0 of {len(checks)} exercises passed\.$", summary, re.M), summary


# -- the README's helpers, links, the open notebook, and the terminal ---------------------------------

def write_notebook(path: Path, sources: list[str]) -> None:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"cell-{n}", "metadata": {}, "outputs": [],
              "source": source} for n, source in enumerate(sources)]  # fmt: skip
    notebook = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    path.write_text(json.dumps(notebook))


def first_code_cell(notebook: Path) -> str:
    return next("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code")


def test_readme_helpers_in_a_notebook_show_one_output_each(lab, browser):
    """hint, solution, check, progress and reset as the README shows them, after notebook 01's own first cell."""
    lab.use_answers(stubs_folder())
    lab.progress_file.unlink(missing_ok=True)  # a learner who has not started yet
    exercise_file = lab.course / "exercises" / "ch01_chunk_generators.py"
    learner = exercise_file.read_text().replace(
        "    raise NotImplementedError\n", "    yield b''  # a learner's first try\n", 1
    )  # file_chunks, the first function of the file, now yields one empty chunk: a wrong answer
    steps = [
        first_code_cell(ROOT / "notebooks" / "01_chunk_generators.ipynb"),
        'hint("1.1")',
        'solution("1.1")',
        f"open({str(exercise_file)!r}, 'w').write({learner!r})",
        'check("1.1")',
        'solution("1.1")',
        'progress()',
        'reset("1.1")',
        'progress("01")',
    ]  # fmt: skip
    write_notebook(lab.course / "notebooks" / "helpers.ipynb", steps)
    cells = run_all_cells(lab, browser, "helpers.ipynb", ARTIFACTS / "helpers.png")

    assert [c["prompt"] for c in cells] == [f"[{n}]:" for n in range(1, len(steps) + 1)], shown(cells[-1])
    outputs = [[o["text"].strip() for o in cell["outputs"]] for cell in cells]
    for step, shows in zip(steps[1:], outputs[1:]):
        if not step.startswith("open("):
            assert len(shows) == 1, f"{step} shows {len(shows)} outputs:\n" + "\n---\n".join(shows)
            assert not shows[0].startswith(("'", '"')) and "\\n" not in shows[0], f"{step} shows a quoted repr"
    hint_text, gate, _, failed, reference, progress_all, reset_text, progress_01 = (o[0] for o in outputs[1:])
    assert hint_text.startswith("Hint 1 of 3 for 1.1 file_chunks:"), hint_text
    assert gate.startswith("The reference answer for 1.1 opens after you have tried"), gate
    assert failed.startswith("✗ 1.1 file_chunks") and "not written yet" not in failed, failed
    assert reference.startswith("# Reference answer for 1.1 (solutions/ch01_chunk_generators.py)"), reference
    assert re.search(r"^✗ 1\.1 .* failed +1/3$", progress_all, re.M), progress_all
    assert re.search(r"^… 4\.6 ", progress_all, re.M) and progress_all.endswith(f"0 of {len(exercise_ids())} exercises passed.")
    assert reset_text.startswith("1.1 file_chunks is a stub again in exercises/ch01_chunk_generators.py; your "
                                 "version is in .course/backups/ch01_chunk_generators."), reset_text  # fmt: skip
    assert "File > Reload from Disk" in reset_text
    assert not re.search(r"^. 2\.", progress_01, re.M) and re.search(r"^… 1\.1 .*not written yet", progress_01, re.M)
    assert "raise NotImplementedError" in exercise_file.read_text().split("def byte_range_chunks")[0]
    backups = list((lab.course / ".course" / "backups").glob("ch01_chunk_generators.*.py"))
    assert [b.read_text() for b in backups] == [learner]


LINK = ".jp-NotebookPanel .jp-MarkdownCell a:has(code:text-is('exercises/ch01_chunk_generators.py'))"
DIRTY_TAB = ".lm-TabBar-tab.jp-mod-dirty"


def test_a_notebook_opens_clean_and_its_exercise_link_opens_the_file(lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{lab.url}/lab/tree/notebooks/01_chunk_generators.ipynb?reset&token={lab.token}")
        lab.wait_for_kernel_connected("notebooks/01_chunk_generators.ipynb")
        cell_count = len(json.loads((lab.course / "notebooks" / "01_chunk_generators.ipynb").read_text())["cells"])
        page.wait_for_function(KERNEL_READY, arg=cell_count, timeout=START_TIMEOUT * 1000, polling=250)
        page.wait_for_timeout(1000)  # anything JupyterLab changes on opening has happened by now
        assert page.locator(DIRTY_TAB).count() == 0, "the notebook shows unsaved changes before anything was done"
        link = page.locator(LINK).first
        link.scroll_into_view_if_needed()
        link.click()
        editor_tab = page.locator(".lm-TabBar-tab", has_text="ch01_chunk_generators.py")
        editor_tab.wait_for(timeout=30_000)
        page.locator(".jp-FileEditor .cm-content", has_text="def file_chunks").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "exercise-link.png"))
    finally:
        page.close()
        lab.shut_down_kernels()


def terminal_output(lab: Lab, commands: list[str], until: str, timeout: float = 90) -> str:
    """Open a JupyterLab terminal (the same websocket the page's terminal uses), type `commands`, and return
    what it printed once `until` appears."""
    import websocket

    name = lab.api.post("/api/terminals").json()["name"]
    ws_url = lab.url.replace("http://", "ws://") + f"/terminals/websocket/{name}?token={lab.token}"
    socket = websocket.create_connection(ws_url, timeout=5)
    printed = ""
    try:
        for command in commands:
            socket.send(json.dumps(["stdin", command + "\r"]))
        deadline = time.monotonic() + timeout
        while until not in printed and time.monotonic() < deadline:
            try:
                message = json.loads(socket.recv())
            except websocket.WebSocketTimeoutException:
                continue
            if message[0] == "stdout":
                printed += message[1]
        return printed
    finally:
        socket.close()
        lab.api.delete(f"/api/terminals/{name}")


def test_a_jupyterlab_terminal_runs_the_commands_the_course_prints(lab):
    lab.use_answers(stubs_folder())
    port = free_port()
    printed = terminal_output(lab, [
        "python -m course_lib progress 01",
        ".venv/bin/python -m course_lib hint 1.2",
        f".venv/bin/python -m course_lib serve 01 --port {port} > serve.log 2>&1 &",
        f"for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:{port}/ && break; sleep 0.2; done",
        f"curl -s http://127.0.0.1:{port}/files/sample-3MiB.bin; kill %1; echo END-OF-$((6 * 7))",
    ], until="END-OF-42")  # fmt: skip
    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", printed)
    assert "No module named" not in plain and "command not found" not in plain, plain[-3000:]
    assert re.search(r"^… 1\.1 .*not written yet", plain, re.M), plain[-3000:]
    assert "Hint 1 of 3 for 1.2 byte_range_chunks:" in plain, plain[-3000:]
    assert re.search(r"501 Not Implemented: 1\.1 file_chunks is not written yet \(exercises/ch01_chunk_generators"
                     r"\.py, line \d+\)", plain), plain[-3000:]  # fmt: skip
