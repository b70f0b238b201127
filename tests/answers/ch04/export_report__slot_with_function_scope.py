"""Depends(export_slot, scope="function"): the code after the slot's yield runs when the endpoint returns."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RETRY_AFTER_SECONDS, ExportSlots, export_rows, export_slots

EXERCISE = "4.6"
CASE = "refuses_one_more_at_once"
MESSAGE = [
    "✗ 4.6 export_report: GET /export.csv number 4 got in while 3 exports were streaming (the limit is 3).\n",
    "not with scope='function'",
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
    slot: None = Depends(export_slot, scope="function"),
) -> StreamingResponse:
    return StreamingResponse(rows, media_type="text/csv")
