"""raise HTTPException(500, "export failed"): a real 500, but FastAPI's body is {"detail": ...}, not the
documented {"error": "export failed"}."""

import json

from fastapi import Depends, HTTPException
from fastapi.responses import Response, StreamingResponse

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "says_only_export_failed_in_that_500"
MESSAGE = [
    "✗ 4.2 export_audit: GET /audit.jsonl answered 500 with the wrong body.\n",
    '\n  got:      {"detail":"export failed"}\n',
]


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    events = audit.events()
    try:
        first = next(events, None)
    except Exception:
        raise HTTPException(status_code=500, detail="export failed") from None

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
        yield json.dumps({"end": True, "count": sent}) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
