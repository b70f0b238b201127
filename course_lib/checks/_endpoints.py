"""What the checks of FastAPI endpoints share: mounting the learner's endpoint the way FastAPI would, finding
the dependency a check replaces, and the first look at an answer (status, Content-Type)."""

from __future__ import annotations

import inspect
from typing import Any, Callable

import httpx
from fastapi.dependencies.utils import get_dependant

from ._case import Failure

#: How long a paused database (or stream) waits for the client to see the first rows.  Only a buffering
#: answer ever waits this long; a streaming one is released at once.
PAUSE = 2.0


def find_dependency(answer: Callable[..., Any], name: str, what: str, declared: str) -> Callable[..., Any]:
    """The dependency called `name` somewhere in the tree of dependencies `answer` declares."""
    pending = list(get_dependant(path="/", call=answer).dependencies)
    while pending:
        sub = pending.pop(0)
        if getattr(sub.call, "__name__", "") == name:
            return sub.call
        pending.extend(sub.dependencies)
    raise Failure(
        f"{what} does not depend on {name}, so the check cannot give it its own data.",
        expected=f"a parameter declared as {declared}",
        got="no parameter with that dependency",
        next="keep the function's signature as the exercise gives it",
    )


def streaming_route(answer: Callable[..., Any]) -> dict[str, Any]:
    """FastAPI streams a path operation only if it is a generator function (it has `yield`).  Anything else
    is an ordinary endpoint, whose `-> Iterator[Order]` annotation FastAPI would refuse as a response model:
    mount it without one, so that the stub (or a `return [...]`) is served and reported like any answer."""
    return {} if is_generator(answer) else {"response_model": None}


def is_generator(answer: Callable[..., Any]) -> bool:
    return inspect.isgeneratorfunction(answer) or inspect.isasyncgenfunction(answer)


def expect_ok(response: httpx.Response, what: str, advice: str) -> None:
    if response.status_code != 200:
        response.read()
        raise Failure(
            f"{what} answered {response.status_code}.",
            expected="200",
            got=f"{response.status_code} {response.text[:80]!r}",
            next=advice,
        )


def media_type_failure(what: str, response: httpx.Response, wanted: str, advice: str) -> Failure:
    return Failure(
        f"{what} answered with Content-Type {response.headers.get('content-type', '(none)')!r}.",
        expected=f"{wanted}",
        got=response.headers.get("content-type", "no Content-Type header"),
        next=advice,
    )


def caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `exc`, the exceptions it was raised from or during, or those it groups, include a `kind`."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, kind):
            return True
        pending += [e.__cause__, e.__context__, *getattr(e, "exceptions", ())]
    return False


def hiding(app: Any, kind: type[BaseException]) -> Any:
    """`app`, with the failures the check injects (and what they cause) kept out of the server's errors.

    uvicorn answers them as it would anyway -- a 500 before the response started, a cut connection after --
    but the verdict is the check's own message rather than "raised ConnectionLost while serving the request".
    """

    async def hidden(scope, receive, send):
        try:
            await app(scope, receive, send)
        except Exception as exc:
            if not caused_by(exc, kind):
                raise

    return hidden
