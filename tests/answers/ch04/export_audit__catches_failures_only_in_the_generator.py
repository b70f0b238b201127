"""Every failure handled inside the generator: by then the 200 has gone out, so a failure before the first
event ends as an error record under a 200 instead of a real 500."""

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
    '\n  got:      200 and the body {"error": "export failed", "after": 0}\n',
]


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    def lines():
        sent = 0
        try:
            for event in audit.events():
                yield json.dumps(event) + "\n"
                sent += 1
        except Exception:
            yield json.dumps({"error": "export failed", "after": sent}) + "\n"
            return
        yield json.dumps({"end": True, "count": sent}) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
