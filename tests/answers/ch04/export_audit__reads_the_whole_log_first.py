"""list(audit.events()) inside the try: every failure is a clean 500, but nothing streams, so a failure after
3 events is a 500 too."""

import json

from fastapi import Depends
from fastapi.responses import JSONResponse, Response, StreamingResponse

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "sends_the_events_read_before_a_failure"
MESSAGE = "✗ 4.2 export_audit: GET /audit.jsonl answered 500 though the log failed only after 3 events.\n"


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    try:
        events = list(audit.events())
    except Exception:
        return JSONResponse({"error": "export failed"}, status_code=500)

    def lines():
        for event in events:
            yield json.dumps(event) + "\n"
        yield json.dumps({"end": True, "count": len(events)}) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
