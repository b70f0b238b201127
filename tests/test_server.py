"""serve(): a real uvicorn in the kernel's process, replaced on re-run, stopped promptly, leaking nothing."""

import asyncio
import gc
import logging
import threading
import time

import httpx
import psutil
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from course_lib import LiveServer, serve, stop_all


async def hello(request):
    return PlainTextResponse("hello")


async def boom(request):
    raise ValueError("the endpoint broke")


async def endless(request):
    async def forever():
        while True:
            yield b"x" * 1024
            await asyncio.sleep(0.001)

    return StreamingResponse(forever())


def endless_sync(request):
    def forever():
        while True:
            yield b"y" * 1024

    return StreamingResponse(forever())


APP = Starlette(
    routes=[
        Route("/", hello),
        Route("/boom", boom),
        Route("/endless", endless),
        Route("/endless-sync", endless_sync),
    ]
)


@pytest.fixture(autouse=True)
def no_servers_left():
    yield
    stop_all()


def test_serve_answers_over_real_http():
    server = serve(APP)
    assert server.client.get("/").text == "hello"
    assert httpx.get(server.url + "/").status_code == 200


def test_serve_binds_loopback_only():
    server = serve(APP)
    assert server.url.startswith("http://127.0.0.1:")
    listening = [
        c for c in psutil.Process().net_connections("tcp") if c.status == "LISTEN" and c.laddr.port == server.port
    ]
    assert [c.laddr.ip for c in listening] == ["127.0.0.1"]


def test_serve_again_replaces_previous_server():
    first = serve(APP)
    second = serve(APP)
    assert not first.running and second.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(first.url + "/")
    assert second.client.get("/").status_code == 200


def test_serve_with_other_name_keeps_both():
    one, two = serve(APP, name="one"), serve(APP, name="two")
    assert one.running and two.running and one.port != two.port


def test_server_as_context_manager_stops():
    with LiveServer(APP).start() as server:
        assert server.client.get("/").status_code == 200
    assert not server.running


def test_stop_twice_is_harmless():
    server = serve(APP)
    server.stop()
    server.stop()
    assert not server.running


def test_stop_with_endless_async_stream_open_does_not_hang():
    server = serve(APP)
    client = httpx.Client(base_url=server.url)
    with client.stream("GET", "/endless") as response:
        chunks = response.iter_bytes()
        next(chunks)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5  # never hangs (the speed is measured by make bench)
        with pytest.raises(httpx.RemoteProtocolError):
            for _ in chunks:
                pass
    client.close()
    assert not server.running


def test_stop_with_endless_sync_stream_open_does_not_hang():
    server = serve(APP)
    client = httpx.Client(base_url=server.url)
    with client.stream("GET", "/endless-sync") as response:
        next(response.iter_bytes())
        server.stop()
        assert not server._thread.is_alive()
    client.close()


def test_app_errors_are_kept_not_printed(capfd):
    server = serve(APP)
    assert server.client.get("/boom").status_code == 500
    server.stop()  # the 500 can reach the client a moment before the exception leaves the app; stop waits for it
    assert [type(e).__name__ for e in server.errors] == ["ValueError"]
    assert "the endpoint broke" in server.last_error()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_uvicorn_logs_do_not_propagate_to_root():
    serve(APP)
    assert logging.getLogger("uvicorn.error").propagate is False


def test_fifty_start_stop_cycles_leak_nothing():
    process = psutil.Process()
    serve(APP).stop()  # warm up imports and the first loop
    gc.collect()
    threads, fds = set(threading.enumerate()), process.num_fds()
    sockets = len(process.net_connections("all"))
    for _ in range(50):
        server = serve(APP)
        assert server.client.get("/").status_code == 200
        server.stop()
    gc.collect()

    def started_since():  # threads that were there before may leave meanwhile (idle pool workers): compare sets
        return [t.name for t in threading.enumerate() if t not in threads and t.is_alive()]

    deadline = time.monotonic() + 15  # on a loaded machine a stopped server's last thread may still be ending
    while (started_since() or process.num_fds() > fds) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started_since() == []
    assert process.num_fds() <= fds
    assert len(process.net_connections("all")) == sockets


def test_startup_failure_is_reported():
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        raise RuntimeError("database missing")
        yield

    with pytest.raises(RuntimeError, match="failed to start"):
        LiveServer(Starlette(lifespan=lifespan)).start()


async def spin(request):
    while True:  # never awaits: the server's loop never runs anything else
        pass


def test_stop_does_not_hang_on_app_code_that_never_awaits():
    server = LiveServer(Starlette(routes=[Route("/spin", spin)])).start()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.url + "/spin", timeout=0.3)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    assert not server._thread.is_alive()


def test_responses_carry_uvicorns_date_and_server_headers():
    response = serve(APP).client.get("/")
    assert response.headers["server"] == "uvicorn"
    assert response.headers["date"].endswith(" GMT")


def test_accepted_connections_have_nagle_off():
    import socket

    server = serve(APP)
    with httpx.Client(base_url=server.url) as client:
        client.get("/")  # the connection stays open (keep-alive)
        sockets = [c.transport.get_extra_info("socket") for c in server._uvicorn.server_state.connections]
        assert sockets and all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets)
