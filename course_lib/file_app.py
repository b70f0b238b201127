"""One file, served with Starlette's FileResponse, by a server that runs as a process of its own.

Notebook 02 starts granian on it (`demos02.granian_serving`) to see what a server that offers the ASGI
`http.response.pathsend` extension does with the file.  COURSE_SERVED_FILE names the file.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

__all__ = ["app"]


async def extensions(request: Request) -> Response:
    """The ASGI extensions this server offers, by name."""
    return JSONResponse({"extensions": sorted(request.scope.get("extensions") or {})})


async def served_file(request: Request) -> Response:
    return FileResponse(os.environ["COURSE_SERVED_FILE"])


app = Starlette(routes=[Route("/extensions", extensions), Route("/file", served_file)])
