"""Right in shape, but the 500 and the error record carry the exception's text: the database URL and password."""

import json

from fastapi import Depends
from fastapi.responses import JSONResponse, Response, StreamingResponse

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "answers_500_when_the_log_fails_at_once"
MESSAGE = [
    "✗ 4.2 export_audit: GET /audit.jsonl: the response tells the client what the exception said.\n",
    '\n  expected: only {"error": "export failed"}: the details belong in the server log\n',
    "'hunter2'",
]


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    events = audit.events()
    try:
        first = next(events, None)
    except Exception as exc:
        return JSONResponse({"error": str(exc)}, status_code=500)

    def lines():
        sent = 0
        try:
            if first is not None:
                yield json.dumps(first) + "\n"
                sent += 1
                for event in events:
                    yield json.dumps(event) + "\n"
                    sent += 1
        except Exception as exc:
            yield json.dumps({"error": repr(exc), "after": sent}) + "\n"
            return
        yield json.dumps({"end": True, "count": sent}) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
