"""FastAPI's Depends(max_concurrency=...) limits the exports by queueing the extra ones, never refusing."""

from collections.abc import AsyncIterator

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import ExportSlots, export_rows, export_slots

EXERCISE = "4.6"
CASE = "refuses_one_more_at_once"
MESSAGE = [
    "✗ 4.6 export_report: GET /export.csv number 4 waited: no answer within 1 s while 3 exports were running.\n",
    "no Depends(max_concurrency=...)",
]


async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[ExportSlots]:
    yield slots  # a dependency with yield: held, like the limit, until the response is over


async def export_report(
    rows: AsyncIterator[str] = Depends(export_rows),
    slot: ExportSlots = Depends(export_slot, max_concurrency=3),
) -> StreamingResponse:
    return StreamingResponse(rows, media_type="text/csv")
