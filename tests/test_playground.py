"""`python -m course_lib serve NN`: the chapter's playground in the foreground, for curl and a browser."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from conftest import ROOT


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_playground(chapter, tmp_path, answers="solutions"):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), COURSE_DATA=str(tmp_path / "data"))
    process = subprocess.Popen(
        [sys.executable, "-m", "course_lib", "serve", chapter, "--answers", answers, "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # chapter 02 builds the orders database first
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return url, process


def stop_playground(process):
    if process.poll() is None:
        process.kill()
    process.communicate()


@pytest.fixture
def playground(tmp_path):
    url, process = start_playground("01", tmp_path)
    yield url, process
    stop_playground(process)


def test_chapter_02_playground_serves_the_learners_endpoints(tmp_path):
    import json

    url, process = start_playground("02", tmp_path)
    try:
        lines = httpx.get(url + "/orders.jsonl", params={"limit": 5}).text.splitlines()
        assert len(lines) == 5 and all(isinstance(json.loads(line), dict) for line in lines)
        assert len(json.loads(httpx.get(url + "/orders.json", params={"limit": 3}).text)) == 3
        events = httpx.get(url + "/progress", params={"steps": 3}, headers={"Last-Event-ID": "1"}).text
        assert [l for l in events.splitlines() if l.startswith("id:")] == ["id: 2", "id: 3"]
    finally:
        stop_playground(process)


def test_playground_serves_sample_file_through_file_chunks(playground):
    url, _ = playground
    assert "/files/sample-3MiB.bin" in httpx.get(url + "/").text
    response = httpx.get(url + "/files/sample-3MiB.bin")
    assert response.status_code == 200
    assert len(response.content) == 3 * 1024 * 1024 + 17
    assert response.headers["content-disposition"] == 'attachment; filename="sample-3MiB.bin"'


@pytest.mark.parametrize("path", ["/files/..%2F..%2Fetc%2Fpasswd", "/files/.hidden", "/files/%2Fetc%2Fpasswd",
                                  "/files/nothing-here.bin", "/files/%2e%2e", "/files/%2e%2e%2fsecret"])  # fmt: skip
def test_playground_refuses_paths_outside_its_folder(playground, path):
    url, _ = playground
    response = httpx.get(url + path)
    assert response.status_code == 404
    assert b"root:" not in response.content


def test_playground_listens_on_loopback_only(playground):
    """What the process really listens on, read from the kernel's socket table, not from the source text."""
    import psutil

    _, process = playground
    listening = {c.laddr for c in psutil.Process(process.pid).net_connections("inet") if c.status == "LISTEN"}
    assert listening and {address.ip for address in listening} == {"127.0.0.1"}, listening


def test_playground_stops_cleanly_on_ctrl_c(playground):
    url, process = playground
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Chapter 01 playground on http://127.0.0.1:" in output


def test_unknown_chapter_is_refused():
    result = subprocess.run([sys.executable, "-m", "course_lib", "serve", "09"], cwd=ROOT, capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))  # fmt: skip
    assert result.returncode == 2
    assert "no playground for chapter '09'" in result.stderr


def test_chapter_03_playground_ranges_and_refusals(tmp_path):
    url, process = start_playground("03", tmp_path)
    try:
        whole = httpx.get(url + "/files/sample-4MiB.bin").content
        part = httpx.get(url + "/files/sample-4MiB.bin", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == whole[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
        stock = httpx.get(url + "/stock/files/sample-4MiB.bin", headers={"Range": "bytes=100-199"})
        assert stock.status_code == 206 and stock.content == whole[100:200]
        for path in ("/files/blobs.sqlite", "/stock/files/blobs.sqlite", "/files/..%2Fprogress.json",
                     "/stock/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/blobs/999"):  # fmt: skip
            assert httpx.get(url + path).status_code == 404, path
    finally:
        stop_playground(process)


def test_chapter_04_playground_serves_the_learners_endpoints(tmp_path):
    import json

    url, process = start_playground("04", tmp_path)
    try:
        assert httpx.get(url + "/ping").text == "pong"
        report = httpx.get(url + "/report", params={"count": 2}, timeout=30)
        assert report.status_code == 200 and report.text.splitlines()[0] == "n,celsius", report.text[:200]
        audit = [json.loads(line) for line in httpx.get(url + "/audit.jsonl", timeout=30).text.splitlines()]
        assert audit[-1].get("end") is True, audit[-1:]
        whole = httpx.get(url + "/files/sample-1MiB.bin")
        assert whole.status_code == 200 and len(whole.content) == 1 << 20
        assert httpx.get(url + "/files/%2e%2e%2fprogress.json").status_code == 404
        with httpx.stream("GET", url + "/ticks", timeout=30) as ticks:
            assert ticks.status_code == 200 and next(ticks.iter_lines())
    finally:
        stop_playground(process)


@pytest.mark.parametrize(
    "chapter, path, stub",
    [("01", "/files/sample-3MiB.bin", "1.1 file_chunks"), ("02", "/orders.csv", "2.1 export_orders_csv"),
     ("03", "/blobs/1", "3.2 send_blob"), ("04", "/report", "4.1 sensor_report")],
)  # fmt: skip
def test_a_stub_endpoint_answers_501_with_one_line(chapter, path, stub, tmp_path):
    url, process = start_playground(chapter, tmp_path, answers="stubs")
    try:
        response = httpx.get(url + path)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    module = {"01": "ch01_chunk_generators", "02": "ch02_streaming_response", "03": "ch03_range_requests",
              "04": "ch04_gotchas"}[chapter]  # fmt: skip
    assert response.status_code == 501, response.text
    line = response.text.strip()
    assert re.fullmatch(rf"501 Not Implemented: {re.escape(stub)} is not written yet "
                        rf"\(\.course/stubs/{module}\.py, line \d+\)", line), line  # fmt: skip
    banner = output.splitlines()[:3]
    assert banner[0].startswith(f"Chapter {chapter} playground on {url}/"), output
    assert banner[1] == "  answers from .course/stubs/", output
    assert banner[2].startswith("  still stubs, answering 501: ") and stub in banner[2], output
    assert "Traceback" not in output, output
    assert sum(line in text for text in output.splitlines()) == 1, output
