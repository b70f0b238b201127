"""The app the checks of 4.1-4.3 serve: the learner's endpoint, mounted as its docstring says, with the
dependency that gives it its data replaced by the check's double, beside a /ping that answers only while the
event loop is free."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from .._endpoints import streaming_route


async def ping() -> str:
    """The check's health check: an `async def` endpoint runs on the event loop, so it answers only while
    the loop is free."""
    return "pong"


def mount(answer: Callable[..., Any], path: str, depends_on: Callable[..., Any], provide: Callable[[], Any]):
    """A FastAPI app with `answer` at `path` and the check's /ping, `depends_on` replaced by `provide`."""
    app = FastAPI()
    app.add_api_route(path, answer, methods=["GET"], **streaming_route(answer))
    app.add_api_route("/ping", ping, methods=["GET"])
    app.dependency_overrides[depends_on] = provide
    return app
