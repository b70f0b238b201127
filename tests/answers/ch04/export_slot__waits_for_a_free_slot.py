"""Waits until a slot is free instead of refusing: the fourth request hangs for as long as the exports run."""

import asyncio
from collections.abc import AsyncIterator

from fastapi import Depends

from course_lib.support.ch04 import ExportSlots, export_slots

EXERCISE = "4.6"
CASE = "refuses_one_more_at_once"
MESSAGE = [
    "✗ 4.6 export_report: GET /export.csv number 4 waited: no answer within 1 s while 3 exports were running.\n"
    "  expected: 503 Service Unavailable with Retry-After, at once (the limit is 3)\n"
    "  got:      no status line: the request was queued for a slot, for as long as the exports run\n"
]


async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[None]:
    while slots.in_use >= slots.limit:
        await asyncio.sleep(0.01)
    slots.in_use += 1
    try:
        yield
    finally:
        slots.in_use -= 1
