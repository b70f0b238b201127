"""Counts the slot around `return StreamingResponse(...)`: it is given back as soon as the endpoint returns,
long before the stream ends, so a fourth export gets in."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import ExportSlots, export_rows, export_slots

EXERCISE = "4.6"
CASE = "refuses_one_more_at_once"
MESSAGE = [
    "✗ 4.6 export_report: GET /export.csv number 4 got in while 3 exports were streaming (the limit is 3).\n"
    "  expected: 503 Service Unavailable with Retry-After\n"
    "  got:      200; slots.in_use was 0 while 3 exports streamed: the slots were given back when the endpoint "
    "returned, not when the streams ended\n"
]


async def export_report(
    rows: AsyncIterator[str] = Depends(export_rows),
    slots: ExportSlots = Depends(export_slots),
) -> StreamingResponse:
    if slots.in_use >= slots.limit:
        raise HTTPException(503, "busy", headers={"Retry-After": "5"})
    slots.in_use += 1
    try:
        return StreamingResponse(rows, media_type="text/csv")
    finally:
        slots.in_use -= 1
