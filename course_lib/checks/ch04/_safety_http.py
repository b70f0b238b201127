"""What the checks of 4.4-4.6 share: the learner's endpoint mounted on its own app, and a plain-socket client
(http.client sends the request target exactly as written and shows a body that breaks off or hangs)."""

from __future__ import annotations

import contextlib
import http.client
from typing import Any, Callable

from fastapi import FastAPI

from .._endpoints import streaming_route

HOST = "127.0.0.1"


def mount(answer: Callable[..., Any], path: str) -> FastAPI:
    """`answer` on a new app at `path`, as `app.get(path)(answer)`.  A function that is not a generator is
    mounted without a response model, so a stub (or an odd return annotation) is served like any answer."""
    app = FastAPI()
    app.add_api_route(path, answer, methods=["GET"], **streaming_route(answer))
    return app


def connect(port: int, timeout: float) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(HOST, port, timeout=timeout)


def hang_up(conn: http.client.HTTPConnection, response: http.client.HTTPResponse | None = None) -> None:
    """Close the client's side for good (response and connection share one socket)."""
    with contextlib.suppress(Exception):
        if response is not None:
            response.close()
    with contextlib.suppress(Exception):
        conn.close()
