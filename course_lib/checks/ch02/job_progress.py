"""Exercise 2.4 job_progress: one Server-Sent Event per step of a job, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Iterator

import httpx
from fastapi import FastAPI
from fastapi.sse import EventSourceResponse

from .._case import Failure, case
from .._endpoints import PAUSE, expect_ok, find_dependency, is_generator, media_type_failure
from ._bodies import lines_of, text_of, truncated

WHAT = "GET /progress?steps=5"


class Steps:
    """The check's `run_step`: records which steps ran; step `pause_at` waits until the client has the event before."""

    def __init__(self, pause_at: int | None = None) -> None:
        self.ran: list[int] = []
        self.pause_at = pause_at
        self.received = 0  # events the client has parsed so far
        self.waited = False

    async def __call__(self, step: int) -> None:
        self.ran.append(step)
        if step == self.pause_at:
            deadline = time.monotonic() + PAUSE
            while self.received < step - 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            self.waited = self.received < step - 1


def sse_events(texts: Iterable[str], what: str) -> Iterator[dict[str, str]]:
    """Parse text/event-stream as a browser does: fields up to a blank line make one event."""
    event: dict[str, str] = {}
    data: list[str] = []
    line = ""
    for line in lines_of(texts):
        line = line.rstrip("\n").removesuffix("\r")
        if line == "":
            if data or event:
                if data:
                    event["data"] = "\n".join(data)
                yield event
            event, data = {}, []
            continue
        if line.startswith(":"):
            continue  # a comment (keep-alive)
        field, colon, value = line.partition(":")
        if not colon:
            raise Failure(
                f"{what}: the line {line[:60]!r} is not an SSE field.",
                expected="lines like 'id: 1' and 'data: {...}', an empty line after each event",
                got=repr(line[:80]),
                next="yield ServerSentEvent(id=..., data=...) and mount with response_class=EventSourceResponse",
            )
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field in ("id", "event", "retry"):
            event[field] = value
    if data or event:
        raise Failure(
            f"{what}: the last event is not followed by a blank line.",
            expected="every event, the last one too, ending with an empty line (\\n\\n)",
            got=f"the stream ended right after {line[:60]!r}",
            next="a browser drops an event that is not closed by an empty line; end each event with \\n\\n",
        )


def progress_server(ctx, job_progress):
    """The endpoint served at /progress with the check's Steps as `run_step`: (server, [the Steps to use])."""
    if "server" not in ctx.found:
        depends_on = find_dependency(job_progress, "job_steps", "job_progress",
                                     "run_step: Callable[[int], Awaitable[None]] = Depends(job_steps)")  # fmt: skip
        current = [Steps()]
        app = FastAPI()
        # Only a generator function is streamed as SSE; FastAPI would iterate anything else as if it were one.
        route = {"response_class": EventSourceResponse} if is_generator(job_progress) else {"response_model": None}
        app.add_api_route("/progress", job_progress, methods=["GET"], **route)
        app.dependency_overrides[depends_on] = lambda: current[0]
        ctx.found["server"] = (ctx.serve(app), current)
    return ctx.found["server"]


def progress_events(ctx, job_progress, steps: Steps, last_id: int | None, what: str) -> list[dict[str, str]]:
    """GET /progress?steps=5 (with Last-Event-ID: `last_id`), the job's steps run by `steps`: the events."""
    server, current = progress_server(ctx, job_progress)
    current[0] = steps
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    events: list[dict[str, str]] = []
    try:
        with server.client.stream("GET", "/progress?steps=5", headers=headers) as response:
            expect_ok(response, what, "yield ServerSentEvent objects")
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                raise media_type_failure(what, response, "text/event-stream",
                                         "yield ServerSentEvent objects; the route uses response_class=EventSourceResponse")  # fmt: skip
            for event in sse_events(text_of(response.iter_raw(), what), what):
                events.append(event)
                steps.received = len(events)
    except httpx.TransportError as exc:
        raise truncated(exc) from None
    return events


def check_progress(events: list[dict[str, str]], first: int, total: int, what: str) -> None:
    """Fail unless `events` are ids `first`..`total`, each with its Progress as data."""
    for number, event in enumerate(events, start=1):
        if "id" not in event:
            raise Failure(
                f"{what}: event {number} has no id.",
                expected=f"id: {first + number - 1}, then data: {{\"step\": ..., \"total\": {total}}}",
                got=" / ".join(f"{k}: {v}" for k, v in event.items())[:100],
                next="yield ServerSentEvent(id=str(step), data=Progress(...)): without ids a client cannot resume",
            )
    got_ids = [event["id"] for event in events]
    want_ids = [str(n) for n in range(first, total + 1)]
    if got_ids != want_ids:
        raise Failure(
            f"{what} sent the wrong events.",
            expected="ids " + (", ".join(want_ids) if want_ids else "none: the stream ends at once"),
            got="ids " + (", ".join(got_ids) if got_ids else "none"),
            next="start after Last-Event-ID: steps last_event_id + 1 .. steps" if first > 1 else "one event per step",
        )
    for event in events:
        try:
            data = json.loads(event.get("data", ""))
        except ValueError:
            data = None
        want = {"step": int(event["id"]), "total": total}
        if data != want:
            raise Failure(
                f"{what}: event {event['id']} carries the wrong data.",
                expected=f"data: {json.dumps(want, separators=(',', ':'))}",
                got=f"data: {event.get('data', '(none)')}"[:100],
                next="data=Progress(step=step, total=steps)",
            )


@case("2.4")
def sends_an_event_stream(job_progress, ctx):
    """A fresh client; step 4 waits until the client has event 3."""
    steps = ctx.found["fresh"] = Steps(pause_at=4)
    ctx.found["events"] = progress_events(ctx, job_progress, steps, None, WHAT)
    return "text/event-stream"


@case("2.4")
def sends_each_event_before_the_next_step(job_progress, ctx):
    steps = ctx.found["fresh"]
    check_progress(ctx.found["events"], 1, 5, WHAT)
    if steps.waited:
        raise Failure(
            f"{WHAT}: event 3 had not reached the client when step 4 started.",
            expected="each event sent as soon as its step is done",
            got=f"nothing for {PAUSE:g} s after step 3: events were held back until later",
            next="yield each event right after `await run_step(step)`; do not collect them first",
        )
    if steps.ran != [1, 2, 3, 4, 5]:
        raise Failure(f"{WHAT} ran steps {steps.ran}.", expected="steps [1, 2, 3, 4, 5], once each",
                      got=f"{steps.ran}", next="await run_step(step) once per step, before its event")  # fmt: skip
    return "ids 1-5 with their progress, each event sent before the next step"


def resume(ctx, job_progress, last_id: int) -> None:
    """Reconnecting with Last-Event-ID: `last_id` sends only the later events and runs only the later steps."""
    steps, first = Steps(), last_id + 1
    label = f"{WHAT} with Last-Event-ID: {last_id}"
    check_progress(progress_events(ctx, job_progress, steps, last_id, label), first, 5, label)
    if steps.ran != list(range(first, 6)):
        raise Failure(
            f"{label} ran steps {steps.ran}.",
            expected=f"steps {list(range(first, 6))}: the ones after the last event the client has",
            got=f"{steps.ran}",
            next="start the loop after last_event_id; the earlier steps are done",
        )


@case("2.4")
def resumes_after_the_last_event_id(job_progress, ctx):
    resume(ctx, job_progress, 3)
    return "Last-Event-ID: 3 resumed with events 4 and 5 (steps 1-3 not rerun)"


@case("2.4")
def ends_at_once_when_every_event_was_sent(job_progress, ctx):
    resume(ctx, job_progress, 5)
    return "Last-Event-ID: 5 ended at once."
