"""Chapter 1: realistic wrong answers to every exercise, each failing its check with the message it deserves.

A check that passes the solution proves little; these prove each check catches the mistakes learners make,
and says so in words that point at the fix.  Each wrong answer differs from a right one in one mistake.
"""

import asyncio
import csv
import io
from pathlib import Path

import pytest

from course_lib import CheckFailed, check
from conftest import write_module

STEM = "ch01_chunk_generators"


@pytest.fixture(autouse=True)
def solutions_env(tmp_path, monkeypatch):
    """Answers from solutions/ (only the answer under test is wrong); progress never written into the repo."""
    monkeypatch.setenv("COURSE_ANSWERS", "solutions")
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "progress.json"))


def failed_with(info, phrase):
    """The CheckFailed in `info` is a failure (not a crash of the check) and mentions `phrase`; its message."""
    assert info.value.kind == "failed", str(info.value)
    assert phrase in str(info.value), str(info.value)
    assert "Traceback" not in str(info.value)
    return str(info.value)


# -- 1.1 file_chunks ------------------------------------------------------------------------------------


def test_file_chunks_reading_whole_file_fails_on_memory():
    def file_chunks(path, chunk_size=1024 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        with open(path, "rb") as f:
            data = f.read()
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    with pytest.raises(CheckFailed) as info:
        check("1.1", file_chunks)
    message = failed_with(info, "of memory at its peak")
    assert "the whole file was in memory at once" in message


def test_file_chunks_yielding_the_final_empty_read_fails():
    def file_chunks(path, chunk_size=1024 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        with open(path, "rb") as f:
            while True:
                chunk = f.read(chunk_size)
                yield chunk
                if not chunk:
                    break

    with pytest.raises(CheckFailed) as info:
        check("1.1", file_chunks)
    failed_with(info, "yielded an empty chunk b''")


def test_file_chunks_text_mode_fails_on_type():
    def file_chunks(path, chunk_size=1024 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        with open(path, encoding="latin-1") as f:
            while chunk := f.read(chunk_size):
                yield chunk

    with pytest.raises(CheckFailed) as info:
        check("1.1", file_chunks)
    failed_with(info, 'open the file in binary mode: open(path, "rb")')


def test_file_chunks_returning_a_list_fails_as_eager():
    def file_chunks(path, chunk_size=1024 * 1024):
        chunks = []
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                chunks.append(chunk)
        return chunks

    with pytest.raises(CheckFailed) as info:
        check("1.1", file_chunks)
    failed_with(info, "opened the file at once")


def test_file_chunks_without_with_fails_on_unclosed_file():
    def file_chunks(path, chunk_size=1024 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        f = open(path, "rb")
        while chunk := f.read(chunk_size):
            yield chunk

    with pytest.raises(CheckFailed) as info:
        check("1.1", file_chunks)
    failed_with(info, "ResourceWarning: unclosed file")


# -- 1.2 byte_range_chunks ------------------------------------------------------------------------------


def _range_ok(start, end, chunk_size):
    if start < 0 or end < start or chunk_size <= 0:
        raise ValueError("bad range")


def test_byte_range_reading_from_zero_and_discarding_fails_on_bytes_read():
    def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
        _range_ok(start, end, chunk_size)
        with open(path, "rb") as f:
            position = 0
            while position <= end and (chunk := f.read(chunk_size)):
                low, high = max(start - position, 0), min(end + 1 - position, len(chunk))
                if low < high:
                    yield chunk[low:high]
                position += len(chunk)

    with pytest.raises(CheckFailed) as info:
        check("1.2", byte_range_chunks)
    message = failed_with(info, "it read 60.1 MiB of the file to return 1000 bytes")
    assert "seek(start) first" in message


def test_byte_range_slicing_the_whole_file_fails_on_bytes_read():
    def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
        _range_ok(start, end, chunk_size)
        with open(path, "rb") as f:
            wanted = f.read()[start : end + 1]
        for i in range(0, len(wanted), chunk_size):
            yield wanted[i : i + chunk_size]

    with pytest.raises(CheckFailed) as info:
        check("1.2", byte_range_chunks)
    failed_with(info, "it read 64 MiB of the file to return 1000 bytes")


def test_byte_range_exclusive_end_fails_with_http_meaning():
    def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
        _range_ok(start, end, chunk_size)
        with open(path, "rb") as f:
            f.seek(start)
            remaining = end - start  # as in a Python slice: the end left out
            while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
                remaining -= len(chunk)
                yield chunk

    with pytest.raises(CheckFailed) as info:
        check("1.2", byte_range_chunks)
    message = failed_with(info, "bytes=0-99 gave 99 bytes, one short")
    assert "end - start + 1" in message


def test_byte_range_reading_to_end_of_file_fails_on_bytes_read():
    def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
        _range_ok(start, end, chunk_size)
        with open(path, "rb") as f:
            f.seek(start)
            remaining = end - start + 1
            while chunk := f.read(chunk_size):  # keeps reading after the range is complete
                if remaining > 0:
                    yield chunk[:remaining]
                    remaining -= len(chunk[:remaining])

    with pytest.raises(CheckFailed) as info:
        check("1.2", byte_range_chunks)
    failed_with(info, "the reads went on past end")


def test_byte_range_without_seek_fails_on_wrong_offset():
    def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
        _range_ok(start, end, chunk_size)
        with open(path, "rb") as f:
            remaining = end - start + 1
            while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
                remaining -= len(chunk)
                yield chunk

    with pytest.raises(CheckFailed) as info:
        check("1.2", byte_range_chunks)
    failed_with(info, "bytes from offset 0 on")


def test_byte_range_past_end_of_file_without_stop_fails_on_empty_chunk():
    def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
        _range_ok(start, end, chunk_size)
        with open(path, "rb") as f:
            f.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = f.read(min(chunk_size, remaining))
                remaining -= len(chunk)
                yield chunk

    with pytest.raises(CheckFailed) as info:
        check("1.2", byte_range_chunks)
    failed_with(info, "yielded an empty chunk b''")


def test_byte_range_without_argument_checks_fails():
    def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
        with open(path, "rb") as f:
            f.seek(start)
            remaining = end - start + 1
            while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
                remaining -= len(chunk)
                yield chunk

    with pytest.raises(CheckFailed) as info:
        check("1.2", byte_range_chunks)
    failed_with(info, "start=-1 reached the file and failed there with OSError")


# -- 1.3 csv_rows ---------------------------------------------------------------------------------------


def _header(cursor):
    return [d[0] for d in cursor.description]


def test_csv_rows_joined_by_hand_fails_on_quoting():
    def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
        cursor = conn.execute(query)
        yield (",".join(_header(cursor)) + "\r\n").encode("utf-8")
        for row in cursor:
            yield (",".join("" if v is None else str(v) for v in row) + "\r\n").encode("utf-8")

    with pytest.raises(CheckFailed) as info:
        check("1.3", csv_rows)
    message = failed_with(info, "'Smith, John' needs quoting")
    assert "csv.writer" in message


def test_csv_rows_quoted_by_hand_fails_on_inner_quotes():
    def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
        cursor = conn.execute(query)
        yield (",".join(_header(cursor)) + "\r\n").encode("utf-8")
        for row in cursor:
            yield (",".join(f'"{"" if v is None else v}"' for v in row) + "\r\n").encode("utf-8")

    with pytest.raises(CheckFailed) as info:
        check("1.3", csv_rows)
    failed_with(info, "'Dwayne \"The Rock\" Johnson' needs quoting")


def test_csv_rows_null_as_none_fails():
    def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
        cursor = conn.execute(query)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in [_header(cursor)] + [[str(v) for v in r] for r in cursor]:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(row)
            yield buffer.getvalue().encode("utf-8")

    with pytest.raises(CheckFailed) as info:
        check("1.3", csv_rows)
    failed_with(info, "NULL values and they came out as the word None")


def test_csv_rows_fetchall_fails_on_memory():
    def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
        cursor = conn.execute(query)
        rows = cursor.fetchall()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in [_header(cursor)] + rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(row)
            yield buffer.getvalue().encode("utf-8")

    with pytest.raises(CheckFailed) as info:
        check("1.3", csv_rows)
    message = failed_with(info, "streaming 30000 rows took")
    assert "under 1 MiB" in message and "fetchall()" in message


def test_csv_rows_yielding_str_fails_on_type():
    def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
        cursor = conn.execute(query)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_header(cursor))
        yield buffer.getvalue()

    with pytest.raises(CheckFailed) as info:
        check("1.3", csv_rows)
    failed_with(info, 'encode each line: line.encode("utf-8")')


def test_csv_rows_buffer_never_emptied_fails_on_repeated_lines():
    def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
        cursor = conn.execute(query)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_header(cursor))
        yield buffer.getvalue().encode("utf-8")
        for row in cursor:
            writer.writerow(row)
            yield buffer.getvalue().encode("utf-8")

    with pytest.raises(CheckFailed) as info:
        check("1.3", csv_rows)
    failed_with(info, "an earlier line came again")


def test_csv_rows_without_header_fails():
    def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in conn.execute(query):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(row)
            yield buffer.getvalue().encode("utf-8")

    with pytest.raises(CheckFailed) as info:
        check("1.3", csv_rows)
    failed_with(info, "no header")


def test_csv_rows_all_in_one_item_fails_on_one_line_per_item():
    def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
        cursor = conn.execute(query)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_header(cursor))
        writer.writerows(cursor)
        yield buffer.getvalue().encode("utf-8")

    with pytest.raises(CheckFailed) as info:
        check("1.3", csv_rows)
    failed_with(info, "item 1 holds 9 CSV lines")


def test_csv_rows_stripped_lines_fail_on_line_endings():
    def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
        cursor = conn.execute(query)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in [_header(cursor)] + list(cursor):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(row)
            yield buffer.getvalue().strip().encode("utf-8")

    with pytest.raises(CheckFailed) as info:
        check("1.3", csv_rows)
    failed_with(info, "item 1 does not end with a line break")


def test_csv_rows_error_in_learner_file_points_at_the_line(learner_dir):
    source = (Path(__file__).resolve().parent.parent / "solutions" / f"{STEM}.py").read_text()
    wrong = source + (
        "\n\ndef csv_rows(conn, query=\"SELECT * FROM orders ORDER BY id\"):\n"
        "    cursor = conn.execute(query)\n"
        "    for row in cursor:\n"
        "        yield (\",\".join(row) + \"\\n\").encode(\"utf-8\")\n"
    )
    write_module(learner_dir, STEM, wrong)
    with pytest.raises(CheckFailed) as info:
        check("1.3")
    message = str(info.value)
    assert info.value.kind == "raised"
    assert message.startswith("✗ 1.3 csv_rows raised TypeError")
    assert 'yield (",".join(row) + "\\n").encode("utf-8")' in message


# -- 1.4 rechunk ----------------------------------------------------------------------------------------


def test_rechunk_joining_everything_first_fails_on_endless_input():
    def rechunk(chunks, size=64 * 1024):
        if size <= 0:
            raise ValueError("size must be positive")
        data = b"".join(chunks)
        for start in range(0, len(data), size):
            yield data[start : start + size]

    with pytest.raises(CheckFailed) as info:
        check("1.4", rechunk)
    message = failed_with(info, "took its whole input before yielding a piece")
    assert "endless" in message


def test_rechunk_dropping_the_rest_fails():
    def rechunk(chunks, size=64 * 1024):
        if size <= 0:
            raise ValueError("size must be positive")
        buffer = bytearray()
        for chunk in chunks:
            buffer += chunk
            while len(buffer) >= size:
                yield bytes(buffer[:size])
                del buffer[:size]

    with pytest.raises(CheckFailed) as info:
        check("1.4", rechunk)
    failed_with(info, "the last, shorter piece is missing")


def test_rechunk_yielding_an_empty_last_piece_fails():
    def rechunk(chunks, size=64 * 1024):
        if size <= 0:
            raise ValueError("size must be positive")
        buffer = bytearray()
        for chunk in chunks:
            buffer += chunk
            while len(buffer) >= size:
                yield bytes(buffer[:size])
                del buffer[:size]
        yield bytes(buffer)

    with pytest.raises(CheckFailed) as info:
        check("1.4", rechunk)
    failed_with(info, "yielded an empty piece b''")


def test_rechunk_if_instead_of_while_fails_on_long_inputs():
    def rechunk(chunks, size=64 * 1024):
        if size <= 0:
            raise ValueError("size must be positive")
        buffer = b""
        for chunk in chunks:
            buffer += chunk
            if len(buffer) >= size:
                yield buffer[:size]
                buffer = buffer[size:]
        if buffer:
            yield buffer

    with pytest.raises(CheckFailed) as info:
        check("1.4", rechunk)
    failed_with(info, '[b"abcdefghij"], size=4: a piece is longer than size=4')


def test_rechunk_yielding_the_reused_buffer_fails():
    def rechunk(chunks, size=64 * 1024):
        if size <= 0:
            raise ValueError("size must be positive")
        buffer = bytearray()
        for chunk in chunks:
            for byte in chunk:
                buffer.append(byte)
                if len(buffer) == size:
                    yield buffer
                    buffer.clear()
        if buffer:
            yield buffer

    with pytest.raises(CheckFailed) as info:
        check("1.4", rechunk)
    failed_with(info, "piece 1 changed after it was yielded")


def test_rechunk_accepting_size_zero_fails():
    def rechunk(chunks, size=64 * 1024):
        buffer = bytearray()
        for chunk in chunks:
            buffer += chunk
            while len(buffer) >= size:
                yield bytes(buffer[:size])
                del buffer[:size]
        if buffer:
            yield bytes(buffer)

    with pytest.raises(CheckFailed) as info:
        check("1.4", rechunk)
    failed_with(info, "size=0 was accepted")


# -- 1.5 aiter_file -------------------------------------------------------------------------------------


def test_aiter_file_blocking_read_fails_on_frozen_loop():
    async def aiter_file(path, chunk_size=64 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk

    with pytest.raises(CheckFailed) as info:
        check("1.5", aiter_file)
    message = failed_with(info, "the event loop froze")
    assert "asyncio.to_thread" in message


def test_aiter_file_blocking_read_with_sleep_zero_fails_on_frozen_loop():
    async def aiter_file(path, chunk_size=64 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk
                await asyncio.sleep(0)  # lets others run between reads, not during them

    with pytest.raises(CheckFailed) as info:
        check("1.5", aiter_file)
    failed_with(info, "the event loop froze")


def test_aiter_file_plain_generator_fails():
    def aiter_file(path, chunk_size=64 * 1024):
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk

    with pytest.raises(CheckFailed) as info:
        check("1.5", aiter_file)
    failed_with(info, "returned a plain generator, not an async generator")


def test_aiter_file_coroutine_returning_a_list_fails():
    async def aiter_file(path, chunk_size=64 * 1024):
        chunks = []
        with open(path, "rb") as f:
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                chunks.append(chunk)
        return chunks

    with pytest.raises(CheckFailed) as info:
        check("1.5", aiter_file)
    failed_with(info, "a coroutine that returned a list")


def test_aiter_file_reading_whole_file_in_a_thread_fails_on_memory():
    async def aiter_file(path, chunk_size=64 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        data = await asyncio.to_thread(Path(path).read_bytes)
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    with pytest.raises(CheckFailed) as info:
        check("1.5", aiter_file)
    failed_with(info, "reading an 8 MiB file in 64 KiB chunks took")


def test_aiter_file_never_closing_the_file_fails():
    async def aiter_file(path, chunk_size=64 * 1024):
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        f = await asyncio.to_thread(open, path, "rb")
        while chunk := await asyncio.to_thread(f.read, chunk_size):
            yield chunk

    with pytest.raises(CheckFailed) as info:
        check("1.5", aiter_file)
    failed_with(info, "ResourceWarning: unclosed file")


def test_aiter_file_accepting_chunk_size_zero_fails():
    async def aiter_file(path, chunk_size=64 * 1024):
        f = await asyncio.to_thread(open, path, "rb")
        try:
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                yield chunk
        finally:
            f.close()

    with pytest.raises(CheckFailed) as info:
        check("1.5", aiter_file)
    failed_with(info, "chunk_size=0 was accepted")
