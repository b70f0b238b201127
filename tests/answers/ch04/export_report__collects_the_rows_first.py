"""Collects every row before answering: the first export sends nothing until the whole report is built."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RETRY_AFTER_SECONDS, ExportSlots, export_rows, export_slots

EXERCISE = "4.6"
CASE = "lets_limit_exports_run_at_once"
MESSAGE = ["✗ 4.6 export_report: GET /export.csv number 1 got no answer within 5 s while 0 of 3 exports were "
           "running.\n", "got:      no status line"]



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
    lines = [line async for line in rows]
    return StreamingResponse(iter(lines), media_type="text/csv")
