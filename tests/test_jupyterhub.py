"""Two learners on one JupyterHub, each with a copy of the course in their home, driven in headless Chromium.

A class runs the course on JupyterHub: every learner has the course in their home (as nbgitpuller gives it)
and all share one Python environment.  This test runs such a hub on 127.0.0.1 with the configuration in
tests/hub/jupyterhub_config.py (DummyAuthenticator, SimpleLocalProcessSpawner, this environment's
`jupyterhub-singleuser`) and configurable-http-proxy from tests/hub/package-lock.json (`npm ci` into
.course/hub-node/ the first time).  Playwright logs ada and bob in (a browser context each), runs notebook 03
up to its `<video>` and the cell listing the ranges the browser asked for, plays and seeks each learner's
video, and runs notebook 01 up to its first check (the copies hold the stub exercises, so the check says
"not written yet").

The browser cannot reach the kernels' 127.0.0.1 ports, as on a real hub: it knows the hub as
http://hub.test:<port> (Chromium's --host-resolver-rules) and sends everything else to a proxy that is not
there, loopback included (a negative control proves both).  Every request it makes is recorded, and none
may go to 127.0.0.1 or localhost.  Each learner's kernel must read and write only that learner's copy
(ROOT, .course/progress.json, .course/data), and serve that learner's video.  When the hub stops, no
process it started may be left.  Screenshots land in test-artifacts/jupyterhub/.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import psutil
import pytest

from conftest import ROOT
from test_jupyterlab import (
    ARTIFACTS as LAB_ARTIFACTS,
    CHROMIUM,
    KERNEL_READY,
    KERNEL_STATUS,
    READ_CELLS,
    VIDEO_LISTING,
    Lab,
    copy_course,
    free_port,
    leftover,
    problems,
    shown,
    stop_process_group,
    stubs_folder,
    sync_playwright,
    write_lab_settings,
)
from test_notebooks import check_cells

HUB_FILES = ROOT / "tests" / "hub"  # jupyterhub_config.py, package.json, package-lock.json
NODE_CACHE = ROOT / ".course" / "hub-node"  # configurable-http-proxy, installed by `npm ci`
NODE, NPM = shutil.which("node"), shutil.which("npm")
ARTIFACTS = LAB_ARTIFACTS.parent / "jupyterhub"
USERS = ("ada", "bob")
COURSE = "course"  # the course's folder in each home
HUB_HOST = "hub.test"  # the only name the browser can reach, mapped to 127.0.0.1 inside Chromium
START_TIMEOUT = 120  # the hub, a learner's server, a kernel, on a loaded two-core machine
RUN_TIMEOUT = 240  # a notebook up to a cell

pytestmark = [
    pytest.mark.timeout(600),  # a real hub, two learners' servers and kernels, Chromium
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (.ci/run installs Debian's chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="the playwright package is not installed"),
    pytest.mark.skipif(NODE is None or NPM is None,
                       reason="node and npm are not installed: the hub's proxy, configurable-http-proxy, runs on Node"),
]  # fmt: skip


# -- the hub -------------------------------------------------------------------------------------------


def node_major() -> int:
    done = subprocess.run([NODE, "--version"], capture_output=True, text=True, timeout=30)
    found = re.match(r"v(\d+)\.", done.stdout.strip())
    return int(found.group(1)) if found else 0


def proxy_command() -> Path:
    """configurable-http-proxy as tests/hub/package-lock.json pins it, installed with `npm ci` when missing."""
    major = node_major()
    if major < 20:
        pytest.skip(f"configurable-http-proxy 5 needs Node 20 or newer, and {NODE} is {major or 'of no known version'}")
    binary = NODE_CACHE / "node_modules" / ".bin" / "configurable-http-proxy"
    lock = (HUB_FILES / "package-lock.json").read_bytes()
    installed = NODE_CACHE / "package-lock.json"
    if binary.exists() and installed.exists() and installed.read_bytes() == lock:
        return binary
    NODE_CACHE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(HUB_FILES / name, NODE_CACHE / name)
    done = subprocess.run([NPM, "ci", "--prefix", str(NODE_CACHE), "--no-audit", "--no-fund"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0 and binary.exists(), f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return binary


class UserServer(Lab):
    """A learner's single-user server, seen through the hub with the test's service token (the sessions and
    kernels API that Lab's helpers use)."""

    def __init__(self, hub: "Hub", name: str) -> None:
        self.name, self.home, self.log = name, hub.homes / name, hub.log
        self.course = self.home / COURSE
        self.api = httpx.Client(base_url=f"{hub.url}/user/{name}", timeout=30,
                                headers={"Authorization": f"token {hub.token}"})  # fmt: skip


class Hub:
    def __init__(self, base: Path) -> None:
        self.state, self.homes, self.log = base / "state", base / "home", base / "state" / "jupyterhub.log"
        self.state.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"  # for the test's own HTTP client, never the browser
        self.origin = f"http://{HUB_HOST}:{self.port}"  # what the browser knows
        self.password, self.token = secrets.token_urlsafe(12), secrets.token_hex(24)
        self.process: subprocess.Popen | None = None
        self.descendants: set[psutil.Process] = set()
        self.users = {name: UserServer(self, name) for name in USERS}

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def remember_descendants(self) -> None:
        """The proxy, the learners' servers and their kernels (each in a session of its own), for the end."""
        try:
            self.descendants.update(psutil.Process(self.process.pid).children(recursive=True))
        except psutil.NoSuchProcess:
            pass

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "JUPYTER", "PYTHONPATH"))}
        env.update(
            COURSE_HUB_STATE=str(self.state), COURSE_HUB_HOMES=str(self.homes), COURSE_HUB_COURSE=COURSE,
            COURSE_HUB_PORT=str(self.port), COURSE_HUB_HUB_PORT=str(free_port()),
            COURSE_HUB_PROXY_API_PORT=str(free_port()), COURSE_HUB_PROXY_COMMAND=str(proxy_command()),
            COURSE_HUB_PASSWORD=self.password, COURSE_HUB_USERS=" ".join(USERS), COURSE_HUB_TEST_TOKEN=self.token,
            CONFIGPROXY_AUTH_TOKEN=secrets.token_hex(24),
        )  # fmt: skip
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(HUB_FILES / "jupyterhub_config.py")],
                cwd=self.state, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterHub exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/hub/api/", timeout=5).status_code == 200:  # through the proxy
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"JupyterHub did not answer within {START_TIMEOUT} s:\n{self.log_tail()}"
            time.sleep(0.3)
        self.remember_descendants()


def give_course(home: Path) -> Path:
    """A learner's home as a hub gives it: a copy of the course with the stub exercises (nbgitpuller would
    clone it), `.venv` linking to the shared environment, and JupyterLab's settings for a test."""
    course = copy_course(home / COURSE)
    for module in stubs_folder().glob("ch*.py"):
        shutil.copy2(module, course / "exercises" / module.name)
    write_lab_settings(home / ".jupyter" / "lab" / "user-settings")
    return course


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("jupyterhub"))
    for user in hub.users.values():
        give_course(user.home)
    try:
        hub.start()
        yield hub
    finally:
        if hub.process is not None:
            hub.remember_descendants()
            # The hub stops on SIGINT as on SIGTERM, and with cleanup_servers it stops every learner's server
            # (which shuts its kernels down) and the proxy; whatever is still there after 60 s is killed.
            stopped_by, left = stop_process_group(hub.process, hub.descendants, timeout=60)
            assert left == [], f"still running 60 s after the hub was stopped:\n{hub.log_tail()}"
            assert stopped_by == "SIGINT", f"JupyterHub did not stop on SIGINT:\n{hub.log_tail()}"
            assert leftover(hub.descendants) == []


@pytest.fixture(scope="module")
def browser():
    """Chromium that reaches hub.test and nothing else: every other host, loopback included (`<-loopback>`
    removes Chromium's built-in bypass for it), goes to a proxy on a port where nothing listens."""
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    dead_proxy = free_port()
    args = [
        f"--host-resolver-rules=MAP {HUB_HOST} 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{dead_proxy}",
        f"--proxy-bypass-list=<-loopback>;{HUB_HOST}",
    ]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield chromium
        chromium.close()


def unreachable(browser, url: str) -> str:
    """The error a page load of `url` ends with in this browser ('' when it loaded)."""
    context = browser.new_context()
    try:
        context.new_page().goto(url, timeout=15_000)
        return ""
    except Exception as error:  # playwright's Error: net::ERR_PROXY_CONNECTION_FAILED and the like
        return str(error).splitlines()[0] or type(error).__name__
    finally:
        context.close()


# -- a learner in the browser --------------------------------------------------------------------------


class Learner:
    """One learner's browser context, its page, and every URL the browser asked for."""

    def __init__(self, browser, hub: Hub, server: UserServer) -> None:
        self.hub, self.server, self.name = hub, server, server.name
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.requests: list[str] = []
        self.proxied: list = []  # every request to a proxy/<port>/ path, the video's
        self.settled: list = []  # proxied requests that finished or failed
        self.context.on("request", self.record)
        self.context.on("requestfinished", self.settle)
        self.context.on("requestfailed", self.settle)
        self.page = self.context.new_page()
        self.page.on("websocket", lambda socket: self.requests.append(socket.url))

    def record(self, request) -> None:
        self.requests.append(request.url)
        if "/proxy/" in urlsplit(request.url).path:
            self.proxied.append(request)

    def settle(self, request) -> None:
        if "/proxy/" in urlsplit(request.url).path:
            self.settled.append(request)

    def wait_for_proxied_requests(self, seconds: float = 30) -> None:
        """Until every request to a proxy/ path has finished or failed (the player may still be fetching)."""
        deadline = time.monotonic() + seconds
        while len(self.settled) < len(self.proxied) and time.monotonic() < deadline:
            self.page.wait_for_timeout(200)

    @property
    def ranges(self) -> list[tuple[str, str | None]]:
        """(path, Range header) of each request to a proxy/ path."""
        return [(urlsplit(r.url).path, r.headers.get("range")) for r in self.proxied]

    def outcomes(self) -> list[str]:
        """What came of each of them: status and Content-Range, or why it failed (a player cancels some)."""
        told = []
        for request in self.proxied:
            response = request.response() if request.failure is None else None
            told.append(f"{request.headers.get('range')} -> "
                        + (f"{response.status} {response.headers.get('content-range')}" if response
                           else str(request.failure)))  # fmt: skip
        return told

    def log_in(self, notebook: str) -> None:
        """Submit the hub's login form, asking to land in `notebook` (the hub spawns the server meanwhile)."""
        target = f"/hub/user-redirect/lab/tree/{COURSE}/notebooks/{notebook}"
        self.page.goto(f"{self.hub.origin}/hub/login?next={quote(target)}")
        self.page.fill("#username_input", self.name)
        self.page.fill("#password_input", self.hub.password)
        self.page.click("#login_submit")

    def open(self, notebook: str) -> None:
        """`?reset`: a fresh workspace, so only this notebook is open."""
        self.page.goto(f"{self.hub.origin}/user/{self.name}/lab/tree/{COURSE}/notebooks/{notebook}?reset")

    def wait_for_notebook(self, notebook: str) -> None:
        self.page.wait_for_url(re.compile(rf"/user/{self.name}/lab/"), timeout=START_TIMEOUT * 1000)
        self.server.wait_for_kernel_connected(f"{COURSE}/notebooks/{notebook}")
        cell_count = len(json.loads((self.server.course / "notebooks" / notebook).read_text())["cells"])
        self.page.wait_for_function(KERNEL_READY, arg=cell_count, timeout=START_TIMEOUT * 1000, polling=250)
        self.hub.remember_descendants()

    def run_through(self, cell: int) -> None:
        """Select the cell after `cell` (an index among all cells) and Run > Run All Above Selected Cell."""
        self.page.locator(".jp-NotebookPanel .jp-Cell").nth(cell + 1).locator(".jp-InputPrompt").click()
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Above Selected Cell$")).click()

    def wait_until_ran(self, cell: int, screenshot: Path) -> list[dict]:
        """Until every code cell up to `cell` shows a number and the kernel is idle; what each code cell shows."""
        try:
            self.page.wait_for_function(RAN_THROUGH, arg=cell, timeout=RUN_TIMEOUT * 1000, polling=250)
        except Exception:
            self.screenshot(screenshot)
            cells = self.page.evaluate(READ_CELLS)
            pytest.fail(f"{self.name}: the cells up to {cell} had not run after {RUN_TIMEOUT} s: "
                        f"{[c['prompt'] for c in cells]}\nscreenshot: {screenshot}\n{self.hub.log_tail()}")  # fmt: skip
        self.hub.remember_descendants()
        return self.page.evaluate(READ_CELLS)

    def run_cell_again(self, selector: str) -> str:
        """Run one cell once more (Ctrl+Enter in it) and return the text of its last output."""
        cell = self.page.locator(selector)
        prompt = cell.locator(".jp-InputArea-prompt")
        before = prompt.text_content()
        cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Control+Enter")
        deadline = time.monotonic() + 60
        while prompt.text_content() in (before, "[*]:"):
            assert time.monotonic() < deadline, f"{self.name}: the cell did not run again"
            self.page.wait_for_timeout(100)
        return cell.locator(".jp-OutputArea-output").last.text_content() or ""

    def run_new_cell_below(self, selector: str, source: str) -> str:
        """Add a code cell below the cell `selector`, type `source` into it, run it; its outputs' text."""
        self.page.locator(selector).locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("b")  # command mode: insert a cell below, and select it
        new_cell = self.page.locator(".jp-NotebookPanel .jp-CodeCell.jp-mod-active")
        new_cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.insert_text(source)
        self.page.keyboard.press("Control+Enter")
        new_cell.locator(".jp-InputArea-prompt", has_text=re.compile(r"^\[\d+\]:$")).wait_for(timeout=60_000)
        return "\n".join(new_cell.locator(".jp-OutputArea-output").all_text_contents())

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))


# Every code cell among the first `last + 1` cells shows a number, and the kernel is idle.
RAN_THROUGH = f"""(last) => {{
    const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell')].slice(0, last + 1)
        .filter(cell => cell.classList.contains('jp-CodeCell'));
    const prompts = cells.map(cell => cell.querySelector('.jp-InputArea-prompt').textContent.trim());
    const status = {KERNEL_STATUS};
    return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p))
        && status !== null && status.dataset.status === 'idle';
}}"""

# The <video> of notebook 03 plays far enough to show a picture (HAVE_CURRENT_DATA), then seeks.
PLAY_AND_SEEK = """async (seekTo) => {
    const video = document.querySelector('.jp-NotebookPanel video');
    if (video === null) return {problem: 'no <video> in the page'};
    const until = (event, ms) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
        video.addEventListener(event, () => { clearTimeout(timer); resolve(); }, {once: true});
        video.addEventListener('error', () => { clearTimeout(timer);
            reject(new Error(`error ${video.error && video.error.code}: ${video.error && video.error.message}`)); },
            {once: true});
    });
    const state = () => ({src: video.getAttribute('src'), currentSrc: video.currentSrc,
        readyState: video.readyState, networkState: video.networkState, currentTime: video.currentTime,
        duration: video.duration, error: video.error && video.error.code});
    try {
        if (video.error) throw new Error(`error ${video.error.code}: ${video.error.message}`);
        if (video.readyState < 2) await until('loadeddata', 60000);  // fires as readyState reaches 2
        const loaded = state();
        const seeked = until('seeked', 60000);
        video.currentTime = seekTo;
        await seeked;
        return {loaded, seeked: state()};
    } catch (error) {
        return {problem: error.message, state: state()};
    }
}"""


def cell_index(notebook: Path, text: str) -> int:
    """The index, among all cells, of the first code cell whose source contains `text`."""
    cells = json.loads(notebook.read_text())["cells"]
    return next(n for n, c in enumerate(cells) if c["cell_type"] == "code" and text in "".join(c["source"]))


def code_index(notebook: Path, cell: int) -> int:
    """The index among code cells (as READ_CELLS and check_cells count) of cell number `cell`."""
    cells = json.loads(notebook.read_text())["cells"]
    return sum(c["cell_type"] == "code" for c in cells[:cell])


def probe_source(exercise_id: str) -> str:
    """A cell a learner could type: where this kernel's course lives, and one hint (written to the progress)."""
    return (
        "import json, os\n"
        "from course_lib import _answers, _progress, data\n"
        f"hint({exercise_id!r})\n"
        "print('PROBE', json.dumps({'course_lib': str(Path(course_lib.__file__).resolve()), 'root': str(_answers.ROOT),"
        " 'data': str(data.data_dir()), 'progress': str(_progress.progress_path()), 'cwd': os.getcwd(),"
        " 'pid': os.getpid(), 'port': server.port, 'browser_url': server.browser_url}))\n"
    )


def listening_pid(port: int) -> int | None:
    for connection in psutil.net_connections("tcp"):
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            return connection.pid
    return None


# -- the tests -----------------------------------------------------------------------------------------


def test_the_browser_reaches_the_hub_by_name_and_no_loopback_port(hub, browser):
    """The negative control: the same hub, by its 127.0.0.1 address or as localhost, does not load."""
    assert unreachable(browser, f"{hub.origin}/hub/login") == ""
    for url in (f"http://127.0.0.1:{hub.port}/hub/login", f"http://localhost:{hub.port}/hub/login"):
        error = unreachable(browser, url)
        assert error != "", f"{url} loaded: the browser can reach loopback ports"
        print(f"\n{url}: {error}")


def test_two_learners_run_the_course_side_by_side(hub, browser):
    nb03 = ROOT / "notebooks" / "03_range_requests.ipynb"
    nb01 = ROOT / "notebooks" / "01_chunk_generators.ipynb"
    video_cell, listing_cell = cell_index(nb03, "<video"), cell_index(nb03, "ranges the browser asked for")
    first_check = min(check_cells(nb01))  # among code cells
    first_check_cell = cell_index(nb01, "check(")
    assert code_index(nb01, first_check_cell) == first_check
    hints = {"ada": "1.2", "bob": "1.3"}  # a different one each: whose progress file got it shows who wrote it
    learners = {name: Learner(browser, hub, server) for name, server in hub.users.items()}
    started = time.monotonic()

    # Both log in at once; each lands in notebook 03 in their own copy, and runs it through the listing cell.
    for learner in learners.values():
        learner.log_in(nb03.name)
    for learner in learners.values():
        learner.wait_for_notebook(nb03.name)
        learner.run_through(listing_cell)
    cells03 = {name: learner.wait_until_ran(listing_cell, ARTIFACTS / f"03-{name}.png")
               for name, learner in learners.items()}  # fmt: skip
    for name, cells in cells03.items():
        shows_problem = {n: problems(c) for n, c in enumerate(cells[: code_index(nb03, listing_cell) + 1])
                         if problems(c) and n not in check_cells(nb03)}  # fmt: skip
        assert shows_problem == {}, f"{name}: cells show an error:\n{shows_problem}"

    # Each learner's <video> plays and seeks through /user/<name>/proxy/<port>/, served by their own kernel.
    seen = {}
    for name, learner in learners.items():
        result = learner.page.evaluate(PLAY_AND_SEEK, 3)
        assert "problem" not in result, f"{name}: the video did not play and seek: {result}"
        src = result["loaded"]["src"]
        assert src.startswith(f"/user/{name}/proxy/"), f"{name}: the <video> src is {src}"
        assert result["loaded"]["readyState"] >= 2 and result["seeked"]["error"] is None, result
        assert abs(result["seeked"]["currentTime"] - 3) < 0.5, result
        learner.wait_for_proxied_requests()
        listing = learner.run_cell_again(VIDEO_LISTING)
        probe = learner.run_new_cell_below(VIDEO_LISTING, probe_source(hints[name]))
        found = re.search(r"^PROBE (\{.*\})$", probe, re.M)
        assert found, f"{name}: the probe cell shows:\n{probe}"
        seen[name] = dict(result, listing=listing, probe=json.loads(found.group(1)))
        learner.screenshot(ARTIFACTS / f"03-video-{name}.png")

    for name, learner in learners.items():
        probe, home = seen[name]["probe"], (hub.homes / name).resolve()
        port = int(re.match(rf"/user/{name}/proxy/(\d+)/", seen[name]["loaded"]["src"]).group(1))
        assert probe["port"] == port and probe["browser_url"] == f"/user/{name}/proxy/{port}", probe
        asked = re.findall(r"'(bytes=\d+-\d*|no Range)'", seen[name]["listing"])
        assert asked and asked[0] == "bytes=0-", f"{name}'s kernel lists: {seen[name]['listing']}"
        # Chromium serves later ranges from its cache of the first whole response (the proxy held it till
        # complete), so the kernel may have seen fewer requests than the page made, never other ranges. (How
        # many times each arrived can differ: once in four runs the kernel listed one more bytes=0- than the page
        # reported, so what is compared is which ranges, not how often.)
        sent = [r for _, r in learner.ranges]
        assert set(asked) <= set(sent), f"{name}'s kernel lists {asked}, browser sent {sent}"
        video_requests = [r for path, r in learner.ranges if path == f"/user/{name}/proxy/{port}/video.webm"]
        assert video_requests, f"{name}'s browser asked nothing of /user/{name}/proxy/{port}/: {learner.ranges}"
        assert len(learner.ranges) == len(video_requests), f"{name}: {learner.ranges}"
        assert listening_pid(port) == probe["pid"], f"{name}'s port {port} is not served by {name}'s kernel"
        kernel = psutil.Process(probe["pid"])
        assert Path(kernel.cwd()).resolve() == home / COURSE / "notebooks", kernel.cwd()
        for key in ("course_lib", "root", "data", "progress", "cwd"):
            assert Path(probe[key]).is_relative_to(home / COURSE), f"{name}'s kernel: {key} is {probe[key]}"
        assert unreachable(browser, f"http://127.0.0.1:{port}/video.webm") != "", "the kernel's port loaded"
    assert seen["ada"]["probe"]["port"] != seen["bob"]["probe"]["port"]

    # Notebook 01 up to its first check: with the stub exercises it says "not written yet".
    for learner in learners.values():
        learner.open(nb01.name)
    for learner in learners.values():
        learner.wait_for_notebook(nb01.name)
        learner.run_through(first_check_cell)
    for name, learner in learners.items():
        cells = learner.wait_until_ran(first_check_cell, ARTIFACTS / f"01-{name}.png")
        learner.page.locator(".jp-NotebookPanel .jp-CodeCell").nth(first_check).scroll_into_view_if_needed()
        learner.screenshot(ARTIFACTS / f"01-{name}.png")
        others = {n: problems(c) for n, c in enumerate(cells[:first_check]) if problems(c)}
        assert others == {}, f"{name}: cells before the first check show an error:\n{others}"
        message = problems(cells[first_check])
        assert len(message) == 1, f"{name}: the check cell shows:\n{shown(cells[first_check])}"
        assert re.fullmatch(r"… 1\.1 \w+ is not written yet: edit exercises/ch01_chunk_generators\.py", message[0])

    # The hub, its proxy, the learners' servers, their kernels and the kernels' servers listen on loopback only.
    hub.remember_descendants()
    listening = set()
    for process in [psutil.Process(hub.process.pid), *hub.descendants]:
        try:
            connections = process.net_connections("inet")
        except psutil.NoSuchProcess:
            continue
        listening |= {(c.laddr.ip, process.name()) for c in connections if c.status == psutil.CONN_LISTEN}
    assert listening and {ip for ip, _ in listening} <= {"127.0.0.1", "::1"}, sorted(listening)

    # Each learner's .course/ holds only what their own kernels wrote.
    for name in USERS:
        course = hub.homes / name / COURSE
        progress = json.loads((course / ".course" / "progress.json").read_text())["exercises"]
        other = next(hints[n] for n in USERS if n != name)
        assert progress.get(hints[name], {}).get("hints") == 1 and other not in progress, f"{name}: {progress}"
        assert (course / ".course" / "data" / "ch03").is_dir(), f"{name}: no .course/data/ch03"
        assert list((course / ".course" / "data").glob("payload-*MiB.bin")), f"{name}: notebook 01's data is missing"
    for name, learner in learners.items():
        loopback = [u for u in learner.requests if urlsplit(u).hostname in ("127.0.0.1", "localhost", "::1")]
        assert loopback == [], f"{name}'s browser asked for loopback URLs: {loopback}"
        hosts = {urlsplit(u).hostname for u in learner.requests}
        assert HUB_HOST in hosts, hosts
    print(f"\ntwo learners, notebooks 03 and 01: {time.monotonic() - started:.0f} s")
    for name, learner in learners.items():
        print(f"{name}: {len(learner.requests)} requests to {sorted({urlsplit(u).netloc for u in learner.requests})};"
              f" the video: {learner.outcomes()}; the kernel's {seen[name]['listing'].splitlines()[-1]};"
              f" loaded {seen[name]['loaded']}; seeked {seen[name]['seeked']}")  # fmt: skip
        learner.context.close()
