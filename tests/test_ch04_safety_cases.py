"""Chapter 4, exercises 4.4-4.6: what cannot be an answer file in tests/answers/ch04/.

The wrong answers themselves are files there; these tests need a function passed to check() directly (as an
answer written in a notebook cell is) or check a whole ✓ line.
"""

import re
from pathlib import Path

import pytest
from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib import CheckFailed, check
from course_lib.support.ch04 import files_root


def test_download_resolving_without_strict_answers_500_for_a_nul_byte():
    """From an answers file the ValueError is shown with its line (download__resolves_without_strict.py); from
    a notebook cell, where no line of the exercise file can be shown, the check's own words say what happened."""

    def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
        base = root.resolve()
        target = (base / path).resolve()
        if not target.is_relative_to(base) or not target.is_file():
            raise HTTPException(404)
        return FileResponse(target)

    with pytest.raises(CheckFailed) as info:
        check("4.5", download)
    message = str(info.value)
    assert message.splitlines()[:2] == [
        "✗ 4.5 download: GET /files/readme.txt%00.png (path 'readme.txt\\x00.png') answered 500.",
        "  expected: 404, as for a missing file",
    ]
    assert "catch it, like OSError" in message
    assert info.value.case == "refuses_every_hostile_path_with_the_same_404"


def test_the_reference_answers_pass_with_their_whole_check_lines(capsys):
    """The ✓ line of each exercise: the phrases of its cases, in order, joined with "; "."""
    for exercise in ("4.4", "4.5", "4.6"):
        check(exercise)
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        r"✓ 4\.4 relay_feed: every record \(16 KiB each\) arrived in order, once; while the client paused, the app "
        r"held at most 1[6-9] records \(RELAY_QUEUE_SIZE 16\); a client that left had its feed cancelled; a failing "
        r"feed broke the stream off after its 50 records\.",
        lines[0],
    ), lines[0]
    assert lines[1] == (
        "✓ 4.5 download: 6 files served whole (spaces, non-ASCII, subfolders, symlinks that stay inside), 45 hostile "
        "paths refused with the same 404: ../ and its encodings, absolute paths, a sibling folder sharing the root's "
        "prefix, symlinks out, folders, a pipe, NUL bytes, names too long."
    )
    assert lines[2] == (
        "✓ 4.6 export_report: 3 exports ran at once (slots.limit 3); number 4 got 503 with Retry-After in under 1 s, "
        "without starting; a slot came back when an export ended, when one failed and when clients hung up (3 new "
        "exports got in, and no more)."
    )

