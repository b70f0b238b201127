"""Gives the slot back in its own generator's finally too, on top of export_slot's: a client that hangs up
frees two slots, and one export too many gets in."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RETRY_AFTER_SECONDS, ExportSlots, export_rows, export_slots

EXERCISE = "4.6"
CASE = "gives_every_slot_back_when_clients_hang_up"
MESSAGE = [
    "✗ 4.6 export_report: GET /export.csv number 4 after the 3 clients that hung up were replaced got in "
    "while 3 exports were streaming (the limit is 3).\n"
    "  expected: 503 Service Unavailable with Retry-After\n",
    "slots were given back more often than they were taken\n",
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
    slots: ExportSlots = Depends(export_slots),
) -> StreamingResponse:
    async def lines():
        try:
            async for line in rows:
                yield line
        finally:
            slots.in_use -= 1  # the dependency gives it back as well

    return StreamingResponse(lines(), media_type="text/csv")
