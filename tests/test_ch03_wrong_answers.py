"""Chapter 3: realistic wrong answers fail their check with the message meant for them."""

import re

import pytest
from starlette.responses import StreamingResponse

from course_lib import CheckFailed, check
from conftest import ROOT, write_module
from solutions.ch03_range_requests import RangeResult, parse_range, read_range, send_blob

STEM = "ch03_range_requests"
GOOD = (ROOT / "solutions" / f"{STEM}.py").read_text()
STUB = (ROOT / "exercises" / f"{STEM}.py").read_text()


def mutated(folder, *edits):
    """The solutions module with each (old, new) replacement made once, written where answers are loaded from."""
    source = GOOD
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    write_module(folder, STEM, source)


def failure(run_check):
    """The message of the CheckFailed that `run_check()` raises."""
    with pytest.raises(CheckFailed) as info:
        run_check()
    return str(info.value)


# -- 3.1 parse_range -------------------------------------------------------------------------------------


def test_parse_range_exclusive_end_fails_on_the_first_range():
    def exclusive(header, size):
        kind, ranges = parse_range(header, size)
        return RangeResult(kind, [(first, last + 1) for first, last in ranges])

    message = failure(lambda: check("3.1", exclusive))
    assert message.splitlines()[:3] == [
        "✗ 3.1 parse_range: parse_range('bytes=0-99', 10000) is wrong.",
        "  expected: ('ranges', [(0, 99)])",
        "  got:      ('ranges', [(0, 100)])",
    ]
    assert "last-pos is included" in message


def test_parse_range_sorting_the_ranges_fails_on_request_order():
    def sorted_ranges(header, size):
        kind, ranges = parse_range(header, size)
        return RangeResult(kind, sorted(ranges))

    message = failure(lambda: check("3.1", sorted_ranges))
    assert message.splitlines()[0] == "✗ 3.1 parse_range: parse_range('bytes=500-599,0-99', 10000) is wrong."
    assert "keep the ranges in the order they were asked for" in message


def test_parse_range_416_when_any_part_is_unsatisfiable_fails():
    def all_or_nothing(header, size):
        result = parse_range(header, size)
        if result.kind == "ranges" and re.search(r"(^|[=,])\s*([0-9]{5,})-", header or ""):
            return RangeResult("unsatisfiable", [])
        return result

    message = failure(lambda: check("3.1", all_or_nothing))
    assert message.splitlines()[:3] == [
        "✗ 3.1 parse_range: parse_range('bytes=0-9,20000-', 10000) is wrong.",
        "  expected: ('ranges', [(0, 9)])",
        "  got:      ('unsatisfiable', [])",
    ]


def test_parse_range_with_int_accepts_what_is_not_digits(learner_dir):
    mutated(learner_dir, ('_INT_RANGE = re.compile(r"([0-9]+)-([0-9]*)")', '_INT_RANGE = re.compile(r"([^-]+)-([^-]*)")'))
    message = failure(lambda: check("3.1"))
    assert message.splitlines()[:3] == [
        "✗ 3.1 parse_range: parse_range('bytes=0-1_0', 10000) is wrong.",
        "  expected: ('ignore', [])",
        "  got:      ('ranges', [(0, 10)])",
    ]
    assert "int() also takes '+5', ' 5', '1_0'" in message


def test_parse_range_without_dos_guards_fails_on_the_apache_killer():
    def unguarded(header, size):
        if header and header.count(",") >= 50:
            return RangeResult("ranges", [(0, size - 1)])
        return parse_range(header, size)

    message = failure(lambda: check("3.1", unguarded))
    assert message.splitlines()[0].startswith("✗ 3.1 parse_range: parse_range('bytes=0-,5-5,5-6,5-7")
    assert "(8013 characters)" in message.splitlines()[0]
    assert "the 2011 'Apache Killer' sent 1300" in message


def test_parse_range_returning_a_bare_list_fails_on_its_shape():
    message = failure(lambda: check("3.1", lambda header, size: parse_range(header, size).ranges))
    assert message.splitlines()[0] == "✗ 3.1 parse_range: parse_range('bytes=0-99', 10000) returned list [(0, 99)]."
    assert "return RangeResult(kind, ranges)" in message


def test_parse_range_int_on_five_thousand_digits_raises_with_the_learner_line(learner_dir):
    mutated(learner_dir, ("return int(digits) if len(digits) <= 30 else 10**30", "return int(digits)"))
    message = failure(lambda: check("3.1"))
    assert message.splitlines()[0].startswith("✗ 3.1 parse_range raised ValueError: Exceeds the limit (4300 digits)")
    assert "ch03_range_requests.py, line" in message


# -- 3.2 send_blob ---------------------------------------------------------------------------------------


def test_send_blob_ignoring_range_sends_200_where_206_was_due():
    def whole(request, blob):
        headers = {"Accept-Ranges": "bytes", "ETag": blob.etag, "Last-Modified": blob.last_modified_http,
                   "Content-Length": str(blob.size)}  # fmt: skip
        return StreamingResponse(read_range(blob, 0, blob.size - 1), headers=headers, media_type=blob.media_type)

    message = failure(lambda: check("3.2", whole))
    assert message.splitlines() == [
        "✗ 3.2 send_blob: GET with Range: bytes=0-99 answered 200 with the whole blob.",
        "  expected: 206 Partial Content, Content-Range: bytes 0-99/4096, 100 bytes",
        "  got:      200, 4096 bytes",
        "  next: you sent 200 where a 206 was due: use parse_range() and answer 206 with the part; "
        'hint("3.2") gives a hint',
    ]


def test_send_blob_applying_range_to_head_fails(learner_dir):
    mutated(learner_dir, ('if request.method == "GET":', 'if request.method in ("GET", "HEAD"):'))
    message = failure(lambda: check("3.2"))
    assert message.splitlines() == [
        "✗ 3.2 send_blob: HEAD with Range: bytes=0-99 answered 206, Content-Range: bytes 0-99/4096, 0 bytes.",
        "  expected: 200 and the headers of a GET without Range, Content-Length: 4096, no Content-Range",
        "  got:      206, Content-Range: bytes 0-99/4096, 0 bytes",
        "  next: apply Range to GET only: it is the one method range handling is defined for (RFC 9110 §14.2); "
        'hint("3.2") gives a hint',
    ]


def test_send_blob_content_range_with_exclusive_end_fails(learner_dir):
    mutated(learner_dir, ('f"bytes {first}-{last}/{blob.size}"', 'f"bytes {first}-{last + 1}/{blob.size}"'))
    message = failure(lambda: check("3.2"))
    assert message.splitlines()[:3] == [
        "✗ 3.2 send_blob: GET with Range: bytes=0-99 answered 206 with the wrong Content-Range.",
        "  expected: Content-Range: bytes 0-99/4096",
        "  got:      Content-Range: bytes 0-100/4096",
    ]


def test_send_blob_reading_the_whole_blob_then_slicing_reads_outside_the_range(learner_dir):
    mutated(
        learner_dir,
        ("    return StreamingResponse(read_range(blob, first, last), status_code=status, headers=headers,\n"
         "                             media_type=blob.media_type)  # fmt: skip\n",
         "    with blob.open() as reader:\n"
         "        data = reader.read()\n"
         "    return Response(data[first:last + 1], status_code=status, headers=headers, media_type=blob.media_type)\n"),
    )  # fmt: skip
    message = failure(lambda: check("3.2"))
    assert message.splitlines()[:3] == [
        "✗ 3.2 send_blob: GET with Range: bytes=0-99 read bytes outside the range from the database.",
        "  expected: reads inside bytes 0-99 only",
        "  got:      a read of bytes 0-4095",
    ]


def test_send_blob_reading_the_range_in_one_piece_fails_on_memory(learner_dir):
    mutated(
        learner_dir,
        ("    return StreamingResponse(read_range(blob, first, last), status_code=status, headers=headers,\n"
         "                             media_type=blob.media_type)  # fmt: skip\n",
         "    with blob.open() as reader:\n"
         "        reader.seek(first)\n"
         "        data = reader.read(last - first + 1)\n"
         "    return Response(data, status_code=status, headers=headers, media_type=blob.media_type)\n"),
    )  # fmt: skip
    message = failure(lambda: check("3.2"))
    assert message.splitlines()[:3] == [
        "✗ 3.2 send_blob: GET without Range on 8 MiB took more than 3 MiB of memory at its peak.",
        "  expected: under 3 MiB: the body read and sent a chunk at a time",
        "  got:      more: the range was read (or built) at once",
    ]


def test_send_blob_416_without_content_range_fails(learner_dir):
    mutated(learner_dir, ('        headers["Content-Range"] = f"bytes */{blob.size}"\n', ""))
    message = failure(lambda: check("3.2"))
    assert message.splitlines()[:2] == [
        "✗ 3.2 send_blob: GET with Range: bytes=5000- answered 416, 0 bytes.",
        "  expected: 416 Range Not Satisfiable, Content-Range: bytes */4096",
    ]


def test_send_blob_stripping_w_from_if_range_matches_a_weak_tag(learner_dir):
    mutated(learner_dir, ('        if value.startswith("W/"):\n            return False  # a weak entity tag never matches\n',
                          '        value = value.removeprefix("W/")\n'))  # fmt: skip
    message = failure(lambda: check("3.2"))
    first = message.splitlines()[0]
    assert first.startswith("✗ 3.2 send_blob: GET with Range: bytes=0-99, If-Range: W/\"")
    assert first.endswith("answered 206, Content-Range: bytes 0-99/4096, 100 bytes.")
    assert "a weak entity tag never matches (RFC 9110 §13.1.5)" in message


def test_send_blob_ignoring_if_range_fails_on_a_changed_etag(learner_dir):
    mutated(learner_dir, ("        if if_range is None or if_range_matches(if_range, blob):\n"
                          "            result = parse_range(",
                          "        if True:\n            result = parse_range("))  # fmt: skip
    message = failure(lambda: check("3.2"))
    assert "If-Range: W/" in message.splitlines()[0]
    assert "expected: 200 with the whole blob (4096 bytes): If-Range does not match" in message


def test_send_blob_head_without_content_length_fails(learner_dir):
    mutated(learner_dir, ("    if head or blob.size == 0:\n        return Response(b\"\", status_code=status, headers=headers",
                          "    if head or blob.size == 0:\n        return Response(b\"\", status_code=status, "
                          "headers={k: v for k, v in headers.items() if k != 'Content-Length'}"))  # fmt: skip
    message = failure(lambda: check("3.2"))
    assert message.splitlines()[:2] == [
        "✗ 3.2 send_blob: HEAD without Range answered 200, Content-Length: 0.",
        "  expected: 200 and the headers a GET gets, Content-Length: 4096",
    ]


def test_send_blob_applying_range_to_post_fails(learner_dir):
    mutated(learner_dir, ('if request.method == "GET":', 'if request.method in ("GET", "POST"):'))
    message = failure(lambda: check("3.2"))
    assert message.splitlines()[:2] == [
        "✗ 3.2 send_blob: POST with Range: bytes=0-99 answered 206, Content-Range: bytes 0-99/4096, 100 bytes.",
        "  expected: 200 with the whole blob (4096 bytes): only GET applies Range (RFC 9110 §14.2)",
    ]


def test_send_blob_without_etag_fails_on_headers():
    def no_etag(request, blob):
        response = send_blob(request, blob)
        del response.headers["etag"]
        return response

    message = failure(lambda: check("3.2", no_etag))
    assert message.splitlines()[:3] == [
        "✗ 3.2 send_blob: GET without Range answered without the right ETag header.",
        f"  expected: ETag: {message.splitlines()[1].split('ETag: ')[1]}",
        "  got:      no ETag header",
    ]


def test_send_blob_on_an_unwritten_parse_range_says_so(learner_dir):
    stub_parse = STUB[STUB.index("def parse_range("):STUB.index("# -- 3.2")]
    good_parse = GOOD[GOOD.index("def parse_range("):GOOD.index("# -- 3.2")]
    mutated(learner_dir, (good_parse, stub_parse))
    message = failure(lambda: check("3.2"))
    assert message.splitlines() == [
        "✗ 3.2 send_blob: send_blob calls parse_range, which is not written yet.",
        "  expected: exercise 3.1 done first",
        "  got:      NotImplementedError from parse_range",
        '  next: finish parse_range and check("3.1"); hint("3.2") gives a hint',
    ]


# -- 3.3 byteranges_response -----------------------------------------------------------------------------


def test_byteranges_sorted_parts_fail_on_order(learner_dir):
    mutated(learner_dir, ("    boundary = secrets.token_hex(16)\n", "    boundary = secrets.token_hex(16)\n    ranges = sorted(ranges)\n"))
    message = failure(lambda: check("3.3"))
    assert message.splitlines()[:3] == [
        "✗ 3.3 byteranges_response: ranges 3000-3099, 0-49, 1000-1000: part 1 has the wrong Content-Range.",
        "  expected: Content-Range: bytes 3000-3099/4096",
        "  got:      Content-Range: bytes 0-49/4096",
    ]


def test_byteranges_without_crlf_after_data_merges_parts(learner_dir):
    mutated(learner_dir, ('            yield b"\\r\\n"\n', ""), (") + 2 for head", ") for head"))
    message = failure(lambda: check("3.3"))
    assert message.splitlines()[:3] == [
        "✗ 3.3 byteranges_response: ranges 0-9, 100-104: a multipart parser found 1 parts.",
        "  expected: 2 parts, one per range",
        "  got:      1 parts",
    ]


def test_byteranges_without_closing_delimiter_fails(learner_dir):
    mutated(learner_dir, ('    tail = f"--{boundary}--\\r\\n".encode("latin-1")\n', '    tail = b""\n'))
    message = failure(lambda: check("3.3"))
    assert message.splitlines()[:2] == [
        "✗ 3.3 byteranges_response: ranges 0-9, 100-104 does not end with the closing delimiter.",
        "  expected: the body ending with --{boundary}--",
    ]


def test_byteranges_content_length_of_the_data_only_fails(learner_dir):
    mutated(learner_dir, ("    length = sum(len(head) + (last - first + 1) + 2 for head, (first, last) in zip(heads, ranges)) + len(tail)\n",
                          "    length = sum(last - first + 1 for first, last in ranges)\n"))  # fmt: skip
    message = failure(lambda: check("3.3"))
    assert message.splitlines()[:2] == [
        "✗ 3.3 byteranges_response: ranges 0-9, 100-104: the connection broke off mid-body.",
        "  expected: a body of exactly Content-Length bytes",
    ]


def test_byteranges_without_boundary_parameter_fails(learner_dir):
    mutated(learner_dir, ('        media_type=f"multipart/byteranges; boundary={boundary}",\n',
                          '        media_type="multipart/byteranges",\n'))  # fmt: skip
    message = failure(lambda: check("3.3"))
    assert message.splitlines()[0] == (
        "✗ 3.3 byteranges_response: ranges 0-9, 100-104 names no boundary in its Content-Type."
    )


def test_byteranges_joined_into_one_body_fails_on_memory(learner_dir):
    mutated(learner_dir, ("    return StreamingResponse(\n        parts(),\n", "    return Response(\n        b''.join(parts()),\n"))
    message = failure(lambda: check("3.3"))
    assert message.splitlines()[0] == (
        "✗ 3.3 byteranges_response: ranges 0-3145727, 4194304-7340031 of 8 MiB took more than 3 MiB of memory at its peak."
    )


# -- 3.4 download ----------------------------------------------------------------------------------------


def test_download_without_retry_fails_on_the_first_cut(learner_dir):
    mutated(learner_dir, ("            except (httpx.TransportError, httpx.HTTPStatusError) as exc:\n",
                          "            except httpx.HTTPStatusError as exc:\n"))  # fmt: skip
    message = failure(lambda: check("3.4"))
    assert message.splitlines()[:2] == [
        "✗ 3.4 download: download raised RemoteProtocolError when the server cut the connection after 204800 bytes.",
        "  expected: a retry that asks for the rest with Range",
    ]


def test_download_ignoring_the_partial_file_starts_over(learner_dir):
    mutated(learner_dir, ("            if have and validator:\n", "            if have and validator and attempts < 0:\n"))
    message = failure(lambda: check("3.4"))
    assert message.splitlines()[0] == (
        "✗ 3.4 download: the first request asked for the whole file although video.webm.part already held 102400 bytes."
    )


def test_download_resuming_without_if_range_fails(learner_dir):
    mutated(learner_dir, ('                headers = {"Range": f"bytes={have}-", "If-Range": validator}\n',
                          '                headers = {"Range": f"bytes={have}-"}\n'))  # fmt: skip
    message = failure(lambda: check("3.4"))
    assert message.splitlines()[:2] == [
        "✗ 3.4 download: request 1 resumed with Range: bytes=102400- but without If-Range.",
        "  expected: If-Range: <the ETag the partial bytes came with>",
    ]


def test_download_appending_a_200_body_splices_versions(learner_dir):
    mutated(learner_dir, ('                        mode = "wb"\n', '                        have, mode = part.stat().st_size if part.exists() else 0, "ab"\n'))
    message = failure(lambda: check("3.4"))
    first, expected = message.splitlines()[:2]
    assert re.fullmatch(r"✗ 3.4 download: after a 200 that sent 307200 bytes of a changed file, "
                        r"request 4 asked for bytes=\d+-\.", first)  # fmt: skip
    assert expected == "  expected: at most bytes=307200-: a 200 body starts at byte 0 of the new version"


def test_download_without_digest_check_accepts_a_corrupt_body(learner_dir):
    mutated(learner_dir, ("            if digest is not None and got != digest.lower():\n", "            if False:\n"))
    message = failure(lambda: check("3.4"))
    assert message.splitlines()[0] == (
        "✗ 3.4 download: a body whose sha256 does not match the server's Repr-Digest was accepted."
    )


def test_download_retrying_at_once_fails_on_backoff(learner_dir):
    mutated(learner_dir, ("                time.sleep(backoff * 2 ** max(failures - 1, 0))\n", ""))
    message = failure(lambda: check("3.4"))
    assert message.splitlines()[0] == "✗ 3.4 download: the retries after a 503 did not wait long enough."


def test_download_retrying_a_404_fails(learner_dir):
    mutated(learner_dir, ("                if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code < 500:\n"
                          "                    raise\n", ""))  # fmt: skip
    message = failure(lambda: check("3.4"))
    assert message.splitlines()[0] == "✗ 3.4 download: a 404 answer was retried (3 requests)."
