"""No error handling at all: the 200 is sent, then the exception cuts the body."""

import json

from fastapi import Depends
from fastapi.responses import Response, StreamingResponse

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "answers_500_when_the_log_fails_at_once"
MESSAGE = [
    "✗ 4.2 export_audit: GET /audit.jsonl answered 200 though the log failed before its first event.\n",
    '\n  expected: 500, Content-Type: application/json, body {"error": "export failed"}: '
    "nothing had been sent, so the status could still say so\n",
    "\n  got:      200, then the body broke off (RemoteProtocolError) after 0 lines\n",
]


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    def lines():
        sent = 0
        for event in audit.events():
            yield json.dumps(event) + "\n"
            sent += 1
        yield json.dumps({"end": True, "count": sent}) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
