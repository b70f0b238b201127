"""Chapter 3's playground (`python -m course_lib serve 03 --answers solutions`) against real HTTP clients:
curl with a Range header, `curl -r`, `curl -C -` and `wget -c` resuming a partial file, compared by SHA-256."""

import hashlib
import shutil
import subprocess

import httpx
import pytest

from test_playground import start_playground, stop_playground

CURL = shutil.which("curl")
WGET = shutil.which("wget")
NAME = "sample-4MiB.bin"


@pytest.fixture(scope="module")
def chapter03(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("ch03-real-clients")
    url, process = start_playground("03", tmp_path)
    response = httpx.get(f"{url}/stock/files/{NAME}", timeout=10)
    assert response.status_code == 200, response.text[:300]
    yield url, response.content
    stop_playground(process)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def curl(*args):
    return subprocess.run([CURL, "-sS", "--max-time", "30", *args], capture_output=True, timeout=60)


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_curl_range_header_gets_206_and_the_first_kibibyte(chapter03, tmp_path):
    url, original = chapter03
    out = tmp_path / "piece.bin"
    result = curl("-D", "-", "-o", str(out), "-H", "Range: bytes=0-1023", f"{url}/files/{NAME}")
    headers = result.stdout.decode("latin-1").lower()
    assert result.returncode == 0, result.stderr
    assert headers.startswith("http/1.1 206")
    assert f"content-range: bytes 0-1023/{len(original)}" in headers
    assert out.read_bytes() == original[:1024]


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_curl_r_option_gets_the_hundred_bytes_asked_for(chapter03, tmp_path):
    url, original = chapter03
    out = tmp_path / "piece.bin"
    result = curl("-r", "100-199", "-w", "%{http_code}", "-o", str(out), f"{url}/files/{NAME}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"206"
    assert out.read_bytes() == original[100:200]


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_curl_continue_resumes_an_interrupted_download(chapter03, tmp_path):
    url, original = chapter03
    out = tmp_path / NAME
    out.write_bytes(original[: 1_234_567])  # what an interrupted download left behind
    result = curl("-C", "-", "-w", "%{http_code}", "-o", str(out), f"{url}/files/{NAME}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"206"
    assert sha256(out.read_bytes()) == sha256(original)


@pytest.mark.skipif(WGET is None, reason="wget is not installed")
def test_wget_continue_resumes_a_partial_file(chapter03, tmp_path):
    url, original = chapter03
    out = tmp_path / NAME
    out.write_bytes(original[: 3 * 1024 * 1024 + 5])
    result = subprocess.run([WGET, "-c", "-S", "-O", str(out), f"{url}/files/{NAME}"],
                            capture_output=True, timeout=60, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "206 Partial Content" in result.stderr
    assert sha256(out.read_bytes()) == sha256(original)


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_curl_sees_the_stock_file_response_reject_an_unknown_unit(chapter03):
    url, original = chapter03
    ours = curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "Range: items=0-5", f"{url}/files/{NAME}")
    stock = curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "Range: items=0-5", f"{url}/stock/files/{NAME}")
    assert ours.stdout == b"200"  # RFC 9110 §14.2: an unknown range unit MUST be ignored
    assert stock.stdout == b"400"  # Starlette 1.10's FileResponse rejects it; the notebook's table shows why


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SEEK_PAGE = """<!doctype html><pre id="out">waiting</pre><video id="v" muted preload="auto" src="{src}"></video>
<script>
const v = document.getElementById("v"), out = document.getElementById("out");
v.addEventListener("loadedmetadata", () => { v.currentTime = 15; });
v.addEventListener("seeked", () => {
  const s = v.seekable;
  out.textContent = "seeked " + v.currentTime.toFixed(1) + " seekable " + (s.length ? s.start(0) + "-" + s.end(0) : "none");
});
v.addEventListener("error", () => { out.textContent = "error " + (v.error && v.error.code); });
</script>"""


def browser_seek(url, tmp_path):
    """What headless Chromium reports after loading `url` (a page with a <video>) and seeking to 15 s."""
    import re

    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.findall(r'<pre id="out">(.*?)</pre>', result.stdout)
    return found[0] if found else result.stderr[-500:]


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (.ci/run installs Debian's chromium)")
def test_headless_browser_seeks_the_video_only_where_ranges_are_served(tmp_path):
    """A real browser: through the range endpoint the 20 s test video seeks to 15 s and is seekable end to end;
    served as a plain 200 without Accept-Ranges, the same seek lands back at 0."""
    from fastapi.responses import HTMLResponse, Response

    from course_lib import serve
    from course_lib.playground import PLAYGROUNDS, STATIC

    app = PLAYGROUNDS["03"]()
    ranges_seen = []

    @app.middleware("http")
    async def record_ranges(request, call_next):
        if request.url.path.endswith(".webm"):
            ranges_seen.append(request.headers.get("range"))
        return await call_next(request)

    video = (STATIC / "sample-video.webm").read_bytes()

    @app.get("/plain/sample-video.webm")
    def plain_video():
        return Response(video, media_type="video/webm")

    @app.get("/seek", response_class=HTMLResponse)
    def seek_page(src: str):
        return SEEK_PAGE.replace("{src}", src)

    server = serve(app, name="browser test")
    try:
        assert browser_seek(f"{server.url}/seek?src=/files/sample-video.webm", tmp_path) == "seeked 15.0 seekable 0-20"
        assert ranges_seen and ranges_seen[0] == "bytes=0-"  # the browser asks for ranges from the start
        assert browser_seek(f"{server.url}/seek?src=/plain/sample-video.webm", tmp_path) == "seeked 0.0 seekable 0-0"
    finally:
        server.stop()
