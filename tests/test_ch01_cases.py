"""Chapter 1: what cannot be an answer file in tests/answers/ch01/.

The whole ✓ line of each exercise (1.1's is in test_checks.py), and the check's guards that no learner's
mistake reaches on its own: each is fed an answer made to have exactly that fault (bytes changed though the
sizes are right, a chunk from an empty file, wrong bytes only deep in a big file, an early end on an endless
input), to prove the guard fires with its words.
"""

import asyncio
import inspect
import os

import pytest

from course_lib import CheckFailed, check


@pytest.fixture(autouse=True)
def solutions_env(tmp_path, monkeypatch):
    """Answers from solutions/ (only the answer under test is wrong); progress never written into the repo."""
    monkeypatch.setenv("COURSE_ANSWERS", "solutions")
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "progress.json"))


def failed(exercise_id, answer):
    """The check of `answer` fails (not crashes): its CheckFailed."""
    with pytest.raises(CheckFailed) as info:
        check(exercise_id, answer)
    assert info.value.kind == "failed", info.value.message
    assert "Traceback" not in info.value.message
    return info.value


CHECK_LINES = {
    "1.2": "✓ 1.2 byte_range_chunks: bytes=1000-9999 in 4 KiB chunks: 4 KiB, 4 KiB, 808 B; bytes=0-99 is 100 bytes; "
    "end past the file, start at its end and bad arguments handled; nothing opened before next(), file closed at "
    "the end and on close(); 1000 bytes 60 MiB into a 64 MiB file with at most 128 KiB read.",
    # "nothing run before next()" comes first: a csv_rows that returns no iterator at all is told so before
    # anything tries to read lines from it.
    "1.3": "✓ 1.3 csv_rows: nothing run before next(); header and 8 rows read back by csv.reader (commas, quotes, "
    "a newline, non-ASCII, NULL); one UTF-8 line per item; 30000 rows streamed with peak memory under 1 MiB.",
    "1.4": '✓ 1.4 rechunk: [b"ab", b"cde", b"f"] -> b"abcd", b"ef"; inputs longer than size split, empty inputs '
    "skipped, nothing from nothing, size <= 0 refused; 400 uneven inputs in 1000 B pieces and 1 MiB + 8 B in "
    "16 x 64 KiB + 8 B, bytes identical; an endless input gave 3 pieces after taking 13 chunks.",
    "1.5": "✓ 1.5 aiter_file: an async generator; 4 chunks: 64 KiB, 64 KiB, 64 KiB, 3.3 KiB, bytes identical; an "
    "empty file and chunk_size <= 0 handled; file closed at the end and on aclose(); peak memory under 1 MiB for "
    "8 MiB; a 5 ms ticker kept running while a slow pipe was read (16 KiB every 0.12 s).",
}


@pytest.mark.parametrize("exercise_id", sorted(CHECK_LINES))
def test_the_reference_answer_gets_the_whole_check_line(exercise_id, capsys):
    check(exercise_id)
    assert capsys.readouterr().out.strip() == CHECK_LINES[exercise_id]


def test_file_chunks_with_right_sizes_but_changed_bytes_fails():
    def file_chunks(path, chunk_size=1024 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield bytes([chunk[0] ^ 1]) + chunk[1:]

    failure = failed("1.1", file_chunks)
    assert failure.case == "gives_the_lessons_chunks"
    assert "the chunks have the right sizes but not the file's bytes" in failure.message
    assert "a difference at byte 0" in failure.message


def test_file_chunks_giving_a_chunk_for_an_empty_file_fails():
    def file_chunks(path, chunk_size=1024 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        with open(path, "rb") as f:
            yield f.read(chunk_size) or b"\n"
            while chunk := f.read(chunk_size):
                yield chunk

    failure = failed("1.1", file_chunks)
    assert failure.case == "handles_odd_sizes_empty_files_and_bad_chunk_sizes"
    assert "an empty file gave chunks." in failure.message


def test_byte_range_chunks_with_wrong_bytes_only_deep_in_a_big_file_fails():
    def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
        if start < 0 or end < start or chunk_size <= 0:
            raise ValueError("bad range")
        with open(path, "rb") as f:
            f.seek(start if os.path.getsize(path) < 1024 * 1024 else start + 1)
            remaining = end - start + 1
            while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
                remaining -= len(chunk)
                yield chunk

    failure = failed("1.2", byte_range_chunks)
    assert failure.case == "reads_only_the_range"
    assert "bytes=62914560-62915559 of a 64 MiB file did not give the file's bytes" in failure.message


def test_rechunk_ending_early_on_an_endless_input_fails():
    def rechunk(chunks, size=64 * 1024):
        if size <= 0:
            raise ValueError("size must be positive")
        buffer = bytearray()
        for count, chunk in enumerate(chunks):
            if count == 6 and inspect.isgenerator(chunks):  # only the endless input is a generator
                return
            buffer += chunk
            while len(buffer) >= size:
                yield bytes(buffer[:size])
                del buffer[:size]
        if buffer:
            yield bytes(buffer)

    failure = failed("1.4", rechunk)
    assert failure.case == "stays_lazy_on_an_endless_input"
    assert "on an endless input, rechunk stopped early." in failure.message


def test_aiter_file_with_right_sizes_but_changed_bytes_fails():
    async def aiter_file(path, chunk_size=64 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        f = await asyncio.to_thread(open, path, "rb")
        try:
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                yield bytes([chunk[0] ^ 1]) + chunk[1:]
        finally:
            f.close()

    failure = failed("1.5", aiter_file)
    assert failure.case == "gives_the_files_chunks"
    assert "the chunks have the right sizes but not the file's bytes" in failure.message


def test_aiter_file_giving_a_chunk_for_an_empty_file_fails():
    async def aiter_file(path, chunk_size=64 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        f = await asyncio.to_thread(open, path, "rb")
        try:
            yield await asyncio.to_thread(f.read, chunk_size) or b"\n"
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                yield chunk
        finally:
            f.close()

    failure = failed("1.5", aiter_file)
    assert failure.case == "handles_an_empty_file_and_bad_chunk_sizes"
    assert "an empty file gave chunks." in failure.message
