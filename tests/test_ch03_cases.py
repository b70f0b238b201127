"""Chapter 3: what cannot be an answer file in tests/answers/ch03/ (a whole ✓ line, a check helper called
directly)."""

from course_lib import check


def test_the_reference_answers_get_the_tick_lines_promised(capsys):
    for exercise_id in ("3.1", "3.2", "3.3", "3.4"):
        check(exercise_id)
    assert capsys.readouterr().out.splitlines() == [
        "✓ 3.1 parse_range: 44 headers right: single, open-ended, suffix, clamped and multiple ranges (order kept, "
        "overlaps merged), 416 cases, ignored units and invalid syntax, DoS guards, empty file, huge numbers.",
        "✓ 3.2 send_blob: 200 with Accept-Ranges, ETag, Last-Modified, Content-Length; 206 for 4 ranges with the "
        "right Content-Range and bytes; 416 with bytes */4096; unknown unit ignored; HEAD without reading; If-Range "
        "by ETag and date (weak never); POST ignores Range; reads inside the range; 8 MiB under 3 MiB of memory.",
        "✓ 3.3 byteranges_response: parts parsed by the email package with the right Content-Type, Content-Range "
        "and bytes, in the order asked; Content-Length exact; reads inside the ranges; 6 MiB of parts under "
        "3 MiB of memory.",
        "✓ 3.4 download: resumed at byte 102400 with If-Range; 5 requests through 4 cuts and a change (200 "
        "restarted the file); final file identical, sha256 returned, no .part left; Repr-Digest and sha256= "
        "mismatches raised ValueError; 503 retried 3 times with growing sleeps; 404 raised at once.",
    ]
