"""course_lib.nginx: a private nginx on 127.0.0.1 in front of a course server, stopped without a trace."""

import asyncio
import tempfile
from pathlib import Path

import httpx
import psutil
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from course_lib import nginx, serve
from course_lib.nginx import NginxError, nginx_path, reverse_proxy

needs_nginx = pytest.mark.skipif(nginx_path() is None, reason="nginx is not installed")


async def version(request):
    return PlainTextResponse(f"HTTP/{request.scope['http_version']}")


async def ticks(request):
    async def body():
        for i in range(3):
            yield f"tick {i}\n".encode()
            await asyncio.sleep(0.01)

    return StreamingResponse(body(), media_type="text/plain")


@pytest.fixture
def upstream():
    app = Starlette(routes=[Route("/version", version), Route("/ticks", ticks)])
    with serve(app, name="test-nginx-upstream") as server:
        yield server


def gone(pids):
    return [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]


@needs_nginx
def test_reverse_proxy_forwards_to_the_upstream(upstream):
    with reverse_proxy(upstream.url) as proxy:
        response = httpx.get(proxy.url + "/ticks")
        assert response.status_code == 200
        assert response.text == "tick 0\ntick 1\ntick 2\n"
        assert response.headers["server"].startswith("nginx")


@needs_nginx
def test_reverse_proxy_listens_on_loopback_only(upstream):
    with reverse_proxy(upstream.url) as proxy:
        assert proxy.url.startswith("http://127.0.0.1:")
        assert f"listen 127.0.0.1:{proxy.port};" in proxy.config
        listening = {c.laddr for p in proxy.processes() for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
        assert listening and all(address.ip == "127.0.0.1" for address in listening)


@needs_nginx
@pytest.mark.parametrize("http_version", ["1.0", "1.1"])
def test_reverse_proxy_speaks_the_chosen_http_version_upstream(upstream, http_version):
    with reverse_proxy(upstream.url, proxy_http_version=http_version) as proxy:
        assert httpx.get(proxy.url + "/version").text == f"HTTP/{http_version}"


@needs_nginx
@pytest.mark.parametrize("master_process", [False, True])
def test_reverse_proxy_stops_without_leftover_processes(upstream, master_process):
    with reverse_proxy(upstream.url, master_process=master_process) as proxy:
        pids = [p.pid for p in proxy.processes()]
        assert len(pids) == (2 if master_process else 1)
        assert httpx.get(proxy.url + "/version").status_code == 200
        prefix = proxy.prefix
    assert gone(pids) == []
    assert proxy.processes() == []
    assert not prefix.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(proxy.url + "/version")


@needs_nginx
def test_reverse_proxy_stops_when_the_block_raises(upstream):
    with pytest.raises(RuntimeError, match="inside the block"):
        with reverse_proxy(upstream.url) as proxy:
            pids = [p.pid for p in proxy.processes()]
            raise RuntimeError("inside the block")
    assert pids and gone(pids) == []


@needs_nginx
def test_reverse_proxy_stop_is_safe_twice(upstream):
    with reverse_proxy(upstream.url) as proxy:
        proxy.stop()
        assert proxy.processes() == []
    proxy.stop()


def test_reverse_proxy_refuses_an_upstream_on_another_machine():
    with pytest.raises(ValueError, match="on this machine"):
        with reverse_proxy("http://example.com"):
            pass


def test_nginx_path_is_none_when_nginx_is_absent(monkeypatch):
    monkeypatch.setattr(nginx.shutil, "which", lambda name: None)
    monkeypatch.setattr(nginx, "_CANDIDATES", ())
    assert nginx_path() is None


def test_reverse_proxy_without_nginx_says_what_to_install(monkeypatch):
    monkeypatch.setattr(nginx, "nginx_path", lambda: None)
    with pytest.raises(NginxError, match="apt install nginx-light"):
        with reverse_proxy("http://127.0.0.1:9"):
            pass


@needs_nginx
def test_reverse_proxy_reports_a_bad_configuration(upstream):
    before = set(Path(tempfile.gettempdir()).glob("course-nginx-*"))
    with pytest.raises(NginxError, match="unknown directive"):
        with reverse_proxy(upstream.url, extra="no_such_directive on;"):
            pass
    assert set(Path(tempfile.gettempdir()).glob("course-nginx-*")) == before
    mine = [p for p in psutil.Process().children(recursive=True) if "nginx" in p.name()]
    assert mine == []
