"""`except Exception: pass` in the generator: a failed export ends with the end record, as if complete."""

import json

from fastapi import Depends
from fastapi.responses import JSONResponse, Response, StreamingResponse

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "ends_a_failed_export_with_the_error_record"
MESSAGE = [
    "✗ 4.2 export_audit: GET /audit.jsonl: the failure after 3 events was hidden: "
    "the body ended as if the export were complete.\n",
    '\n  expected: 200, the 3 events, then {"error": "export failed", "after": 3} as the last line, '
    "and a normal end of the body\n",
    '\n  got:      3 events, then {"end": true, "count": 3}\n',
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
            pass
        yield json.dumps({"end": True, "count": sent}) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
