"""Streams a 200 and answers a real 500, but the generator reads the rest of the log before it sends anything:
a failure midway loses the events read before it."""

import json

from fastapi import Depends
from fastapi.responses import JSONResponse, Response, StreamingResponse

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "sends_the_events_read_before_a_failure"
MESSAGE = [
    "✗ 4.2 export_audit: GET /audit.jsonl: the 3 events read before the failure were not all sent.\n",
    '\n  got:      {"error": "export failed", "after": 0}\n',
]


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    events = audit.events()
    try:
        first = next(events, None)
    except Exception:
        return JSONResponse({"error": "export failed"}, status_code=500)

    def lines():
        try:
            every = [first, *events] if first is not None else []
        except Exception:
            yield json.dumps({"error": "export failed", "after": 0}) + "\n"
            return
        for event in every:
            yield json.dumps(event) + "\n"
        yield json.dumps({"end": True, "count": len(every)}) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
