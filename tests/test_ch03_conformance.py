"""Chapter 3: the reference parse_range and send_blob against RFC 9110's rules, on generated headers.

A simple oracle, written independently of the solution (byte by byte, on small files), says what each
well-formed header asks for.  Hostile headers (random text, huge numbers, thousands of ranges) must never
give a 5xx, bytes outside what was asked, or a Content-Range that disagrees with the body.
"""

import email.policy
import re
import warnings
from email.parser import BytesParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route

with warnings.catch_warnings():  # Starlette 1.10 prefers httpx2 for its TestClient; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from course_lib.checks.ch03._blobs import make_blobs
from course_lib.checks._tools import sample_bytes
from solutions.ch03_range_requests import MAX_RANGES, MAX_UNSORTED, parse_range, send_blob

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SIZES = st.integers(min_value=0, max_value=300)

# -- generated headers -------------------------------------------------------------------------------

positions = st.one_of(st.integers(0, 320), st.integers(0, 320), st.integers(0, 320), st.integers(0, 10**25))
int_spec = st.tuples(st.just("int"), positions, st.one_of(st.none(), positions))
suffix_spec = st.tuples(st.just("suffix"), positions)
specs = st.lists(st.one_of(int_spec, suffix_spec), min_size=1, max_size=14)
separators = st.sampled_from([",", ", ", " ,", ",\t", ",,", ", ,"])


def spec_text(spec) -> str:
    if spec[0] == "suffix":
        return f"-{spec[1]}"
    return f"{spec[1]}-" + ("" if spec[2] is None else str(spec[2]))


@st.composite
def well_formed(draw):
    items = draw(specs)
    seps = draw(st.lists(separators, min_size=len(items) - 1, max_size=len(items) - 1))
    unit = draw(st.sampled_from(["bytes", "bytes", "bytes", "Bytes", "BYTES"]))
    text = spec_text(items[0]) + "".join(sep + spec_text(item) for sep, item in zip(seps, items[1:]))
    return unit + "=" + text, items


def oracle(items, size):
    """(kind, set of bytes asked for, satisfiable intervals in request order) by RFC 9110 §14.1.2 and our guards."""
    if any(item[0] == "int" and item[2] is not None and item[2] < item[1] for item in items):
        return "ignore", set(), []
    if len(items) > MAX_RANGES:
        return "ignore", set(), []
    intervals = []
    for item in items:
        if item[0] == "int" and item[1] < size:
            last = size - 1 if item[2] is None else min(item[2], size - 1)
            intervals.append((item[1], last))
        elif item[0] == "suffix" and item[1] > 0 and size > 0:
            intervals.append((max(0, size - item[1]), size - 1))
    if not intervals:
        if size == 0 and any(item[0] == "suffix" and item[1] > 0 for item in items):
            return "ignore", set(), []
        return "unsatisfiable", set(), []
    counts = [0] * size
    for first, last in intervals:
        for byte in range(first, last + 1):
            counts[byte] += 1
    if max(counts) >= 3:
        return "ignore", set(), []
    if len(intervals) > MAX_UNSORTED and intervals != sorted(intervals):
        return "ignore", set(), []
    return "ranges", {b for first, last in intervals for b in range(first, last + 1)}, intervals


def check_shape(result, size):
    kind, ranges = result
    assert kind in ("ranges", "ignore", "unsatisfiable")
    if kind != "ranges":
        assert ranges == []
        return
    assert 1 <= len(ranges) <= MAX_RANGES
    for first, last in ranges:
        assert 0 <= first <= last < size
    ordered = sorted(ranges)
    for (_, last), (first, _) in zip(ordered, ordered[1:]):
        assert first > last + 1, "overlapping or adjacent ranges are coalesced"


# -- parse_range -----------------------------------------------------------------------------------------


@FAST
@given(well_formed(), SIZES)
@example(("bytes=200-210,0-5", [("int", 200, 210), ("int", 0, 5)]), 300)
@example(("bytes=0-0,-1", [("int", 0, 0), ("suffix", 1)]), 1)
def test_parse_range_well_formed_headers_match_the_oracle(header_items, size):
    header, items = header_items
    result = parse_range(header, size)
    check_shape(result, size)
    kind, wanted, intervals = oracle(items, size)
    assert result.kind == kind
    if kind == "ranges":
        got = {b for first, last in result.ranges for b in range(first, last + 1)}
        assert got == wanted, "exactly the bytes asked for: none missing, none extra"
        # Request order: each merged range sits where its earliest member was asked for.
        def earliest(r):
            return min(i for i, (f, l) in enumerate(intervals) if r[0] <= f and l <= r[1])
        assert [earliest(r) for r in result.ranges] == sorted(earliest(r) for r in result.ranges)


@FAST
@given(st.text(alphabet=st.sampled_from("bytes=BYTES0123456789-,; \t+_.xé٠٩²"), max_size=40), SIZES)
def test_parse_range_never_fails_on_random_text(header, size):
    result = parse_range(header, size)
    check_shape(result, size)
    if not header.strip().lower().startswith("bytes="):
        assert result.kind == "ignore"
    if re.search(r"[^0-9\-, \t]", header.strip()[6:]):
        assert result.kind == "ignore", "anything but ASCII digits, '-', ',' and spaces makes the header invalid"


@FAST
@given(st.text(max_size=60), SIZES)
def test_parse_range_never_fails_on_any_text(header, size):
    check_shape(parse_range(header, size), size)


@FAST
@given(st.from_regex(r"[a-zA-Z][a-zA-Z0-9_.-]{0,10}", fullmatch=True), well_formed(), SIZES)
def test_parse_range_other_units_are_ignored(unit, header_items, size):
    if unit.lower() == "bytes":
        return
    header = unit + "=" + header_items[0].split("=", 1)[1]
    assert parse_range(header, size) == ("ignore", [])


@settings(max_examples=25, deadline=None)
@given(st.integers(MAX_RANGES + 1, 3000), st.integers(1, 10**6))
def test_parse_range_many_ranges_are_ignored(count, size):
    header = "bytes=0-," + ",".join(f"5-{i}" for i in range(5, 5 + count))
    assert parse_range(header, size) == ("ignore", [])


@settings(max_examples=25, deadline=None)
@given(st.integers(4301, 20_000), st.integers(1, 10**6))
def test_parse_range_huge_numbers_do_not_crash(digits, size):
    assert parse_range("bytes=0-" + "9" * digits, size) == ("ranges", [(0, size - 1)])
    assert parse_range("bytes=" + "9" * digits + "-", size) == ("unsatisfiable", [])
    assert parse_range("bytes=-" + "9" * digits, size) == ("ranges", [(0, size - 1)])


# -- the 3.2 endpoint ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blob_client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blobs")
    datas = {size: sample_bytes(size, seed=size + 11) for size in (0, 1, 300)}
    blobs = make_blobs(folder, [(f"{n}.bin", d, "application/octet-stream") for n, d in datas.items()])
    by_size = {blob.size: blob for blob in blobs}

    def endpoint(request):
        return send_blob(request, by_size[int(request.path_params["size"])])

    app = Starlette(routes=[Route("/blob/{size:int}", endpoint, methods=["GET", "HEAD", "POST"])])
    with TestClient(app) as client:
        yield client, by_size, datas


def parse_content_range(value):
    match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", value or "")
    assert match, f"malformed Content-Range {value!r}"
    return int(match[1]), int(match[2]), int(match[3])


def parts_of(response):
    """[(first, last, body)] of a 206, single part or multipart/byteranges."""
    content_type = response.headers["content-type"]
    if not content_type.startswith("multipart/byteranges"):
        first, last, total = parse_content_range(response.headers.get("content-range"))
        return total, [(first, last, response.content)]
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + response.content
    )
    parts, total = [], None
    for part in message.iter_parts():
        first, last, total = parse_content_range(part["content-range"])
        parts.append((first, last, part.get_payload(decode=True)))
    assert len(parts) >= 2, "a multipart/byteranges answer has two parts or more"
    return total, parts


def expect_conformant(response, header, size, data, blob, method="GET"):
    assert response.status_code in (200, 206, 416), "never a 5xx, never a 400 for a Range"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == blob.etag
    body = response.content
    if method == "HEAD":  # Range is defined for GET only (RFC 9110 §14.2): the headers of a GET without it
        assert body == b"" and response.status_code == 200 and "content-range" not in response.headers
        assert response.headers["content-length"] == str(size)
        return
    if response.status_code == 200:
        assert body == data
        assert response.headers["content-length"] == str(size)
    elif response.status_code == 416:
        assert response.headers["content-range"] == f"bytes */{size}"
        assert parse_range(header, size).kind == "unsatisfiable"
    else:
        total, parts = parts_of(response)
        assert total == size
        for first, last, part in parts:
            assert 0 <= first <= last < size
            assert part == data[first : last + 1], "the body agrees with its Content-Range"
        allowed = [(first, last) for first, last in parse_range(header, size).ranges]
        for first, last, _ in parts:
            assert any(a <= first and last <= b for a, b in allowed), "no byte outside the requested ranges"
        assert blob.reads.outside(allowed) is None, "nothing read from the database outside the ranges"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(well_formed(), st.sampled_from([0, 1, 300]))
def test_endpoint_well_formed_ranges(blob_client, header_items, size):
    client, blobs, datas = blob_client
    header, items = header_items
    blob = blobs[size]
    blob.reads.clear()
    response = client.get(f"/blob/{size}", headers={"Range": header})
    expect_conformant(response, header, size, datas[size], blob)
    kind, wanted, _ = oracle(items, size)
    assert response.status_code == {"ranges": 206, "ignore": 200, "unsatisfiable": 416}[kind]
    if kind == "ranges":
        got = {b for first, last, _ in parts_of(response)[1] for b in range(first, last + 1)}
        assert got == wanted


hostile_text = st.one_of(
    st.binary(max_size=60).map(lambda b: bytes(c for c in b if c >= 0x20 and c != 0x7F)),
    st.sampled_from([b"bytes=0-" + b"9" * 6000, b"bytes=" + b",".join(b"5-%d" % i for i in range(1300)),
                     b"bytes=-", b"bytes=,", b"bytes= -5", b"bytes=0-0,-1", b"bytes=\xff-\xfe"]),  # fmt: skip
    well_formed().map(lambda h: h[0].encode()),
)
if_ranges = st.one_of(st.none(), st.sampled_from(["etag", "weak", "date", "other", "garbage"]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hostile_text, st.sampled_from([0, 1, 300]), st.sampled_from(["GET", "HEAD", "POST"]), if_ranges)
def test_endpoint_hostile_headers(blob_client, raw, size, method, if_range):
    client, blobs, datas = blob_client
    blob = blobs[size]
    headers = [(b"range", raw.strip())]
    values = {"etag": blob.etag, "weak": "W/" + blob.etag, "date": blob.last_modified_http,
              "other": '"0123"', "garbage": "not a date"}  # fmt: skip
    if if_range:
        headers.append((b"if-range", values[if_range].encode()))
    blob.reads.clear()
    response = client.request(method, f"/blob/{size}", headers=headers)
    header = raw.strip().decode("latin-1")
    expect_conformant(response, header, size, datas[size], blob, method)
    if method == "POST" or if_range in ("weak", "other", "garbage"):
        assert response.status_code == 200, "Range is ignored: not a GET, or If-Range does not match"
