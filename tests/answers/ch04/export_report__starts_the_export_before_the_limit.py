"""Takes the report's first line to be sure it starts, then checks the limit: a refused request has already
started its export's work."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RETRY_AFTER_SECONDS, ExportSlots, export_rows, export_slots

EXERCISE = "4.6"
CASE = "refuses_one_more_at_once"
MESSAGE = ["✗ 4.6 export_report: GET /export.csv number 4 was refused, but only after its export had started.\n",
           "expected: 503 before any of the export's work is done", "decide in the dependency"]


async def export_report(
    rows: AsyncIterator[str] = Depends(export_rows),
    slots: ExportSlots = Depends(export_slots),
) -> StreamingResponse:
    header = await rows.__anext__()  # fail with a real 500 if the report cannot even start
    if slots.in_use >= slots.limit:
        raise HTTPException(503, "too many exports are running; try again later",
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    slots.in_use += 1

    async def lines():
        try:
            yield header
            async for line in rows:
                yield line
        finally:
            slots.in_use -= 1

    return StreamingResponse(lines(), media_type="text/csv")
