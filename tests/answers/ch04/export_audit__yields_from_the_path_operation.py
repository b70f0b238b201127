"""A path operation that yields (FastAPI streams it as JSON Lines): its status is always 200, decided before
its first line, so a failure before the first event cannot be a 500."""

from fastapi import Depends

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "answers_500_when_the_log_fails_at_once"
MESSAGE = "✗ 4.2 export_audit: GET /audit.jsonl answered 200 though the log failed before its first event.\n"


def export_audit(audit: AuditLog = Depends(audit_log)):
    sent = 0
    for event in audit.events():
        yield event
        sent += 1
    yield {"end": True, "count": sent}
