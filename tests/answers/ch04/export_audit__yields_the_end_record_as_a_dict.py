"""The end record yielded as a dict, without json.dumps: StreamingResponse cannot send it, and the body is cut
after the last event."""

import json

from fastapi import Depends
from fastapi.responses import JSONResponse, Response, StreamingResponse

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "ends_complete_exports_with_the_end_record"
MESSAGE = [
    "✗ 4.2 export_audit: GET /audit.jsonl broke off though the log did not fail.\n",
    "\n  got:      5 lines, then RemoteProtocolError\n",
]


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    events = audit.events()
    try:
        first = next(events, None)
    except Exception:
        return JSONResponse({"error": "export failed"}, status_code=500)

    def lines():
        sent = 0
        try:
            if first is not None:
                yield json.dumps(first) + "\n"
                sent += 1
                for event in events:
                    yield json.dumps(event) + "\n"
                    sent += 1
        except Exception:
            yield json.dumps({"error": "export failed", "after": sent}) + "\n"
            return
        yield {"end": True, "count": sent}

    return StreamingResponse(lines(), media_type="application/jsonl")
