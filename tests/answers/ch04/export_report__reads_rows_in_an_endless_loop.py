"""`yield await rows.__anext__()` in a `while True` loop: at the end of the rows StopAsyncIteration escapes the
generator and becomes a RuntimeError, which breaks the response off instead of ending it."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RETRY_AFTER_SECONDS, ExportSlots, export_rows, export_slots

EXERCISE = "4.6"
CASE = "gives_the_slot_back_when_an_export_ends"
MESSAGE = [
    "✗ 4.6 export_report: GET /export.csv: a running export did not end cleanly once its rows were done.\n"
    "  expected: the rest of its rows, then the end of the body\n"
    "  got:      the response broke off\n",
    "stream `rows` as they come",
]



async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[None]:
    if slots.in_use >= slots.limit:
        raise HTTPException(
            status_code=503,
            detail="too many exports are running; try again later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    slots.in_use += 1
    try:
        yield
    finally:
        slots.in_use -= 1


async def export_report(
    rows: AsyncIterator[str] = Depends(export_rows),
    slot: None = Depends(export_slot),
) -> StreamingResponse:
    async def lines():
        while True:
            yield await rows.__anext__()

    return StreamingResponse(lines(), media_type="text/csv")
