"""Checks and hints for notebooks/01_chunk_generators.ipynb (exercises/ch01_chunk_generators.py)."""

from __future__ import annotations

import asyncio
import csv
import inspect
import io
import os
import random
import sqlite3
import time
from typing import Any


from .._case import Failure, case
from .._tools import (
    KiB,
    MiB,
    SlowPipe,
    is_open,
    peak_memory,
    run_async,
    sample_bytes,
    size,
    sizes,
    thread_bytes_read,
    unclosed_files,
    workdir,
    write_sample,
)

from ._shared import expect_closed, take_chunks, take_chunks_async

# -- 1.2 byte_range_chunks ----------------------------------------------------------------------------


def _range_words(start: int, end: int) -> str:
    return f"bytes={start}-{end}"


def _expect_range(byte_range_chunks, path, data: bytes, start: int, end: int, step: int) -> list[int]:
    """Take the range from the answer and compare it with the file's bytes start..end (both included)."""
    want = data[start : end + 1]
    pieces = byte_range_chunks(path, start, end, step)
    got = take_chunks(pieces, limit=-(-len(want) // step) + 2, what="byte_range_chunks")
    joined = b"".join(got)
    words = _range_words(start, end)
    past_end = f" (the file has {len(data)} bytes)" if end >= len(data) else ""
    too_big = [len(c) for c in got if len(c) > step]
    if too_big:
        raise Failure(
            f"{words} in chunks of at most {size(step)} gave a chunk of {size(too_big[0])}.",
            expected=f"chunks of at most chunk_size={step} bytes",
            got=sizes([len(c) for c in got]),
            next="read min(chunk_size, bytes still wanted) per step",
        )
    if joined == want:
        return [len(c) for c in got]
    if len(want) > 0 and joined == want[:-1]:
        raise Failure(
            f"{words} gave {len(joined)} bytes, one short: the end of a range is included.",
            expected=f"{len(want)} bytes{past_end}: {words} means bytes {start} to {end}, both included, "
            f"so {end} - {start} + 1 = {len(want)}",
            got=f"{len(joined)} bytes, up to byte {end - 1}",
            next="the number of bytes to read is end - start + 1",
        )
    if joined == data[start : end + 2]:
        raise Failure(
            f"{words} gave {len(joined)} bytes, one too many.",
            expected=f"{len(want)} bytes: bytes {start} to {end}, both included",
            got=f"{len(joined)} bytes, up to byte {end + 1}",
            next="the number of bytes to read is end - start + 1",
        )
    found = data.find(joined[:64]) if joined else -1
    if found >= 0 and found != start:
        where = f"bytes from offset {found} on"
        advice = "seek(start) before the first read" if found == 0 else "seek(start) exactly, counting from byte 0"
    elif found == start and joined.startswith(want):
        where, advice = f"the right start, but {len(joined) - len(want)} bytes past byte {end}", "stop reading at end"
    else:
        where, advice = "bytes that are not the file's bytes start..end", "seek(start), then read up to end"
    raise Failure(
        f"{words} did not give the file's bytes {start} to {end}.",
        expected=f"{len(want)} bytes{past_end}, from the byte at offset {start} on" if want else f"nothing{past_end}",
        got=f"{len(joined)} bytes: {where}",
        next=advice,
    )


def _expect_refused(call, what: str, advice: str) -> None:
    """`call()` returns a generator of the answer's; raising ValueError at the call or at the first next() passes."""
    try:
        got = sizes([len(c) for c in take_chunks(call(), limit=3, what="byte_range_chunks")])
    except ValueError:
        return
    except Failure as failure:  # an empty chunk or too many: still not a refusal
        got = failure.problem
    except OSError as exc:
        raise Failure(
            f"{what} reached the file and failed there with {type(exc).__name__}.",
            expected="ValueError, raised before the file is opened",
            got=f"{type(exc).__name__}: {exc}",
            next=advice,
        ) from None
    raise Failure(f"{what} was accepted.", expected="ValueError", got=got, next=advice)


@case("1.2")
def check_byte_range_chunks(byte_range_chunks, ctx) -> str:
    with workdir() as folder:
        try:
            pending = byte_range_chunks(folder / "not-there.bin", 0, 99)
        except FileNotFoundError:
            raise Failure(
                "calling byte_range_chunks opened the file at once, before anything asked for a chunk.",
                expected="nothing opened or read before the first next()",
                got="FileNotFoundError raised by the call itself",
                next="make it a generator function: `yield` each chunk, so its body waits for next()",
            ) from None
        if not hasattr(pending, "__next__"):
            raise Failure(
                f"byte_range_chunks returned a {type(pending).__name__}, not a generator.",
                expected="a generator, which reads one chunk each time it is asked",
                got=f"a {type(pending).__name__}, built before the first chunk was asked for",
                next="`yield` each chunk instead of collecting them",
            )
        if hasattr(pending, "close"):
            pending.close()

        # Ranges of a 10000-byte file, as a Range header would name them.
        small = folder / "small.bin"
        data = write_sample(small, 10_000, seed=4)
        _expect_range(byte_range_chunks, small, data, 0, 99, 4096)
        _expect_range(byte_range_chunks, small, data, 100, 199, 4096)
        example = _expect_range(byte_range_chunks, small, data, 1000, 9999, 4096)
        _expect_range(byte_range_chunks, small, data, 5000, 5000, 4096)
        _expect_range(byte_range_chunks, small, data, 0, 9999, 1000)
        _expect_range(byte_range_chunks, small, data, 9000, 20_000, 4096)
        _expect_range(byte_range_chunks, small, data, 10_000, 10_099, 4096)

        bad_args = "check start < 0, end < start and chunk_size <= 0 first and raise ValueError"
        _expect_refused(lambda: byte_range_chunks(small, -1, 99, 4096), "start=-1", bad_args)
        _expect_refused(lambda: byte_range_chunks(small, 100, 99, 4096), "start=100, end=99", bad_args)
        for bad in (0, -1):
            _expect_refused(
                lambda: byte_range_chunks(small, 0, 99, bad),
                f"chunk_size={bad}",
                "raise ValueError when chunk_size <= 0: read(0) returns b'' and read(-1) reads everything",
            )

        # Open only while chunks are being taken.
        expect_closed(lambda: byte_range_chunks(small, 0, 9999, 1000), small, limit=12, what="byte_range_chunks")

        # 1000 bytes 60 MiB into a 64 MiB file: count the bytes this thread actually reads.
        # The file is sparse (holes read as zeros) apart from sample bytes around the range.
        big = folder / "big.bin"
        start, length, total = 60 * MiB, 1000, 64 * MiB
        end = start + length - 1
        around = sample_bytes(256 * KiB, seed=5)
        with open(big, "wb") as f:
            f.truncate(total)
            f.seek(start - 128 * KiB)
            f.write(around)
        want = around[128 * KiB : 128 * KiB + length]
        before = thread_bytes_read()
        got = take_chunks(byte_range_chunks(big, start, end), limit=3, what="byte_range_chunks")
        after = thread_bytes_read()
        if b"".join(got) != want:
            raise Failure(
                f"{_range_words(start, end)} of a {size(total)} file did not give the file's bytes {start} to {end}.",
                expected=f"{length} bytes, starting with the byte at offset {start}",
                got=f"{sum(len(c) for c in got)} bytes, different ones",
                next="seek(start), then read up to end",
            )
        measured = before is not None and after is not None
        bound = 64 * KiB + 64 * KiB  # one chunk_size (the default) and one buffer of slack
        if measured and after - before > bound:
            read = after - before
            from_zero = read >= start
            raise Failure(
                f"it read {size(read)} of the file to return {length} bytes.",
                expected=f"at most {size(bound)} read for {_range_words(start, end)}, {length} bytes "
                f"{size(start)} into a {size(total)} file (the range, one chunk and a buffer)",
                got=f"{size(read)} read: "
                + ("everything before start was read and thrown away" if from_zero else "the reads went on past end"),
                next="seek(start) first instead of reading up to it" if from_zero else "stop reading at end",
            )
    reads = f"at most {size(bound)} read" if measured else "(bytes read not measurable on this system)"
    return (
        f"{_range_words(1000, 9999)} in 4 KiB chunks: {', '.join(size(n) for n in example)}; bytes=0-99 is 100 bytes; "
        f"end past the file, start at its end and bad arguments handled; nothing opened before next(), "
        f"file closed at the end and on close(); 1000 bytes {size(60 * MiB)} into a {size(64 * MiB)} file "
        f"with {reads}."
    )


# -- 1.3 csv_rows ---------------------------------------------------------------------------------------

ORDERS_COLUMNS = ["id", "customer", "note", "amount"]
ORDERS = [
    (1, "Ada Lovelace", "first order", 12.5),
    (2, "Smith, John", "a comma in the name", 3.0),
    (3, 'Dwayne "The Rock" Johnson', "double quotes", 99.99),
    (4, "Grace Hopper", "line one\nline two", 7.25),
    (5, "Zoë Ünal", "日本語 ✓ 5 €", 0.5),
    (6, "Alan Turing", None, None),
    (7, "", "an empty name", 1.0),
    (8, "Edsger Dijkstra", 'ends with a quote"', 42.0),
]
BIG_ROWS = 30_000


def _csv_fields(row: tuple) -> list[str]:
    """What a CSV reader gives back for a row written by csv.writer: NULL as '', the rest as str()."""
    return ["" if value is None else str(value) for value in row]


def _take_lines(lines: Any, limit: int) -> list[bytes]:
    got: list[bytes] = []
    for line in lines:
        if isinstance(line, str):
            raise Failure(
                f"csv_rows yielded a str, not bytes (line {len(got) + 1}).",
                expected="UTF-8 encoded bytes, what a StreamingResponse sends as is",
                got=f"str: {line!r:.40}",
                next='encode each line: line.encode("utf-8")',
            )
        if not isinstance(line, (bytes, bytearray, memoryview)):
            raise Failure(
                f"csv_rows yielded a {type(line).__name__}, not bytes (line {len(got) + 1}).",
                expected="one CSV line as UTF-8 bytes per item",
                got=f"{type(line).__name__}: {line!r:.40}",
                next="write the row with csv.writer into an io.StringIO and yield its text, encoded",
            )
        if len(line) == 0:
            raise Failure(
                f"csv_rows yielded an empty item b'' (item {len(got) + 1}).",
                expected="one CSV line per item, never an empty one",
                got="b''",
                next="yield what writerow() wrote for each row",
            )
        got.append(bytes(line))
        if len(got) > limit:
            raise Failure(
                f"csv_rows kept yielding after {limit} lines, more than the query returns.",
                expected=f"at most {limit} lines",
                got=f"more than {limit} items",
                next="yield one line for the header and one per row, then stop",
            )
    return got


def _parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _short(fields: list[str]) -> str:
    return "[" + ", ".join(repr(f) if len(f) <= 32 else repr(f[:29]) + "…" for f in fields) + "]"


def _expect_orders(lines: list[bytes]) -> None:
    """The lines, read back with a CSV reader, give the header and ORDERS; one line per item."""
    texts = []
    for number, line in enumerate(lines, 1):
        try:
            texts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            raise Failure(
                f"line {number} is not valid UTF-8.",
                expected="every line encoded with UTF-8 (the names hold ë, Ü, 日本語, €)",
                got=f"{line[:40]!r}",
                next='encode with line.encode("utf-8")',
            ) from None
    for number, text in enumerate(texts, 1):
        if not text.endswith("\n"):
            raise Failure(
                f"item {number} does not end with a line break, so it runs into the next line.",
                expected="each line ending with \\r\\n, as csv.writer writes it",
                got=f"{text[-30:]!r} at the end",
                next="yield what writerow() wrote, line break included (no strip())",
            )
    records = _parse_csv("".join(texts))
    if not records or records[0] != ORDERS_COLUMNS:
        first = records[0] if records else []
        if first and first[0].startswith("\ufeff"):
            got, advice = f"{_short(first)}: a byte order mark before 'id'", 'encode with "utf-8", not "utf-8-sig"'
        elif first == _csv_fields(ORDERS[0]):
            got, advice = f"the first row {_short(first)} and no header", "yield the column names first"
        else:
            got, advice = _short(first), "take the names from cursor.description: [d[0] for d in cursor.description]"
        raise Failure(
            "the first line is not the header.",
            expected=f"the column names {_short(ORDERS_COLUMNS)} (cursor.description), before any row",
            got=got,
            next=advice,
        )
    body = records[1:]
    for index, row in enumerate(ORDERS):
        want = _csv_fields(row)
        got = body[index] if index < len(body) else None
        if got == want:
            continue
        if got is None:
            raise Failure(
                f"the output has {len(body)} rows; the table has {len(ORDERS)}.",
                expected=f"{len(ORDERS)} rows after the header, in the query's order",
                got=f"{len(body)} rows; row id={row[0]} is missing",
                next="yield a line for every row the cursor gives",
            )
        earlier = [ORDERS_COLUMNS] + [_csv_fields(r) for r in ORDERS[:index]]
        if got in earlier:
            raise Failure(
                f"where row id={row[0]} should be, an earlier line came again.",
                expected=_short(want),
                got=f"{_short(got)}, already written before",
                next="yield only the new line: empty the StringIO (seek(0) and truncate()) before each writerow()",
            )
        nulls = [i for i, value in enumerate(row) if value is None]
        special = [value for value in row if isinstance(value, str) and any(c in value for c in ',"\n')]
        if nulls and all(got[i:i + 1] == ["None"] for i in nulls):
            raise Failure(
                f"row id={row[0]} has NULL values and they came out as the word None.",
                expected=f"{_short(want)}: NULL as an empty field",
                got=_short(got),
                next="let csv.writer write the row: it writes None as an empty field",
            )
        if special:
            raise Failure(
                f"row id={row[0]} did not survive a CSV reader: {special[0]!r} needs quoting.",
                expected=f"{_short(want)} ({len(want)} fields)",
                got=f"{_short(got)} ({len(got)} fields)",
                next="write each row with csv.writer, which quotes values holding commas, double quotes or newlines; "
                "','.join() and hand-made quotes do not",
            )
        raise Failure(
            f"row id={row[0]} came back different.",
            expected=_short(want),
            got=_short(got),
            next="write each row with csv.writer, as the cursor gives it",
        )
    if len(body) > len(ORDERS):
        raise Failure(
            f"the output has {len(body)} rows; the table has {len(ORDERS)}.",
            expected=f"the header and {len(ORDERS)} rows",
            got=f"{len(body) - len(ORDERS)} rows more, starting with {_short(body[len(ORDERS)])}",
            next="yield each row once: empty the StringIO (seek(0) and truncate()) before writing the next row",
        )
    for number, text in enumerate(texts, 1):
        parsed = _parse_csv(text)
        if len(parsed) != 1:
            raise Failure(
                f"item {number} holds {len(parsed)} CSV lines.",
                expected="one line per item, ending with a line break: the header, then one item per row",
                got=f"{len(lines)} item{'s' if len(lines) != 1 else ''} for {len(ORDERS) + 1} lines",
                next="yield right after each writerow(), and empty the StringIO before the next one",
            )


@case("1.3")
def check_csv_rows(csv_rows, ctx) -> str:
    with workdir() as folder:
        conn = sqlite3.connect(folder / "shop.db")
        try:
            conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, note TEXT, amount REAL)")
            conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS)
            conn.commit()

            try:
                pending = csv_rows(conn, "SELECT * FROM no_such_table")
            except sqlite3.Error:
                raise Failure(
                    "calling csv_rows ran the query at once, before anything asked for a line.",
                    expected="nothing run before the first next()",
                    got="the query's error raised by the call itself",
                    next="make it a generator function: `yield` each line, so its body waits for next()",
                ) from None
            if not hasattr(pending, "__next__"):
                raise Failure(
                    f"csv_rows returned a {type(pending).__name__}, not a generator.",
                    expected="a generator, which makes one line each time it is asked",
                    got=f"a {type(pending).__name__}, built before the first line was asked for",
                    next="`yield` each line instead of collecting them",
                )
            if hasattr(pending, "close"):
                pending.close()

            # The tricky table, with the default query; read back with a CSV reader.
            lines = _take_lines(csv_rows(conn), limit=len(ORDERS) + 3)
            _expect_orders(lines)
            one = _take_lines(csv_rows(conn, "SELECT customer FROM orders WHERE id = 2"), limit=3)
            if _parse_csv(b"".join(one).decode("utf-8")) != [["customer"], ["Smith, John"]]:
                raise Failure(
                    "with another query, the output did not follow it.",
                    expected="the header ['customer'] and one row ['Smith, John'] for SELECT customer ... WHERE id = 2",
                    got=_short([line.decode("utf-8", "replace") for line in one]),
                    next="run the `query` argument, not a query of your own",
                )

            # A bigger table, built by SQLite itself: the lines must come while the rows are fetched.
            conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, customer TEXT, amount REAL)")
            conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO big SELECT i, 'customer, number ' || i, i * 0.25 FROM n",
                (BIG_ROWS,),
            )
            bound = 1 * MiB
            count = 0
            with peak_memory() as peak:
                for line in csv_rows(conn, "SELECT * FROM big ORDER BY id"):
                    count += 1
                    if count > BIG_ROWS + 1:
                        break
            if peak[0] > bound:
                raise Failure(
                    f"streaming {BIG_ROWS} rows took {size(peak[0])} of memory at its peak.",
                    expected=f"under {size(bound)}, however many rows the query returns",
                    got=f"{size(peak[0])}: the rows were all in memory at once",
                    next="iterate over the cursor (`for row in cursor:`) instead of fetchall() or list()",
                )
            if count != BIG_ROWS + 1:
                raise Failure(
                    f"{BIG_ROWS} rows gave {count} lines.",
                    expected=f"{BIG_ROWS + 1} lines: the header and one per row",
                    got=f"{count} lines",
                    next="yield one line for the header and one per row",
                )
        finally:
            conn.close()
    return (
        f"header and {len(ORDERS)} rows read back by csv.reader (commas, quotes, a newline, non-ASCII, NULL); "
        f"one UTF-8 line per item; nothing run before next(); "
        f"{BIG_ROWS} rows streamed with peak memory under {size(bound)}."
    )


# -- 1.4 rechunk ----------------------------------------------------------------------------------------


class _InputEnded(Exception):
    """Raised by the check's endless input once it has given far more than a lazy rechunk would take."""


def _take_pieces(pieces: Any, limit: int) -> list[bytes]:
    """Collect at most `limit` pieces; also fail when a piece changes after it was yielded (a reused buffer)."""
    kept: list[tuple[Any, bytes]] = []
    for piece in pieces:
        if not isinstance(piece, (bytes, bytearray, memoryview)):
            raise Failure(
                f"rechunk yielded a {type(piece).__name__}, not bytes (piece {len(kept) + 1}).",
                expected="bytes pieces",
                got=f"{type(piece).__name__}: {piece!r:.40}",
                next="yield bytes(...) of the buffer's first `size` bytes",
            )
        if len(piece) == 0:
            raise Failure(
                f"rechunk yielded an empty piece b'' (piece {len(kept) + 1}).",
                expected="only non-empty pieces",
                got=f"b'' after {sizes([len(p) for _, p in kept])}",
                next="after the loop, yield what is left only if the buffer is not empty",
            )
        kept.append((piece, bytes(piece)))
        if len(kept) > limit:
            raise Failure(
                f"rechunk kept yielding after {limit} pieces, more than the input makes.",
                expected=f"at most {limit} pieces",
                got=sizes([len(p) for _, p in kept]),
                next="yield a piece only when the buffer holds `size` bytes, and take them out of it",
            )
    for number, (piece, seen) in enumerate(kept, 1):
        if bytes(piece) != seen:
            raise Failure(
                f"piece {number} changed after it was yielded.",
                expected="each piece keeps the bytes it had when it was yielded",
                got="the buffer itself was yielded and then emptied or refilled",
                next="yield a copy: bytes(buffer[:size]), never the bytearray itself",
            )
    return [seen for _, seen in kept]


def _expect_pieces(rechunk, inputs: list[bytes], piece_size: int | None, what: str) -> list[int]:
    data = b"".join(inputs)
    step = piece_size or 64 * KiB
    expected = [min(step, len(data) - start) for start in range(0, len(data), step)]
    pieces = rechunk(iter(inputs)) if piece_size is None else rechunk(iter(inputs), piece_size)
    got = _take_pieces(pieces, limit=len(expected) + 2)
    got_sizes = [len(p) for p in got]
    if got_sizes != expected:
        if got_sizes == expected[:-1]:
            problem, advice = "the last, shorter piece is missing", "after the loop, yield what is left in the buffer"
        elif any(n > step for n in got_sizes):
            problem = f"a piece is longer than size={step}"
            advice = "yield exactly buffer[:size] and keep the rest; a `while` loop also splits inputs longer than size"
        elif sum(got_sizes) == len(data):
            problem, advice = "the pieces are not all `size` bytes", "only the last piece may be shorter than size"
        else:
            problem, advice = "bytes were lost or added", "keep every byte of the input, in order"
        raise Failure(
            f"{what}, size={step}: {problem}.",
            expected=sizes(expected) + f" ({len(data)} bytes)",
            got=sizes(got_sizes) + f" ({sum(got_sizes)} bytes)",
            next=advice,
        )
    if b"".join(got) != data:
        first = next(i for i, (a, b) in enumerate(zip(b"".join(got), data)) if a != b)
        raise Failure(
            f"{what}, size={step}: the pieces have the right sizes but not the input's bytes.",
            expected="the input's bytes, in order",
            got=f"a difference at byte {first}",
            next="append each input to the end of the buffer and take pieces from its front",
        )
    return got_sizes


@case("1.4")
def check_rechunk(rechunk, ctx) -> str:
    _expect_pieces(rechunk, [b"ab", b"cde", b"f"], 4, '[b"ab", b"cde", b"f"]')
    _expect_pieces(rechunk, [b"abcdefghij"], 4, '[b"abcdefghij"]')
    _expect_pieces(rechunk, [b"", b"abcd", b"", b"efgh", b""], 4, '[b"", b"abcd", b"", b"efgh", b""]')
    _expect_pieces(rechunk, [], 4, "an empty input")
    data = sample_bytes(300_000, seed=6)
    cuts = sorted(random.Random(7).sample(range(1, len(data)), 399))
    small = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    _expect_pieces(rechunk, small, 1000, "400 uneven inputs")
    big = [sample_bytes(MiB + 5, seed=8), b"xyz"]
    default_sizes = _expect_pieces(rechunk, big, None, "a 1 MiB + 5 B input and a 3 B one")

    for bad in (0, -1):
        try:
            got = _take_pieces(rechunk(iter([b"abcdef"]), bad), limit=10)
        except ValueError:
            continue
        except Failure as failure:
            got = None
            detail = failure.problem
        raise Failure(
            f"size={bad} was accepted.",
            expected="ValueError",
            got=sizes([len(p) for p in got]) if got is not None else detail,
            next="raise ValueError when size <= 0: no piece of that size can ever be made",
        )

    # An endless input: 1000-byte chunks that stop (with an exception) only after 2000 of them.
    pulled = [0]

    def endless():
        sample = sample_bytes(1000, seed=9)
        while pulled[0] < 2000:
            pulled[0] += 1
            yield sample
        raise _InputEnded

    wanted, piece_size = 3, 4096
    needed = -(-wanted * piece_size // 1000)
    try:
        pieces = rechunk(endless(), piece_size)
        got = [next(pieces) for _ in range(wanted)]
    except _InputEnded:
        raise Failure(
            "rechunk took its whole input before yielding a piece, so an endless stream never gets one.",
            expected=f"{wanted} pieces of {size(piece_size)} after taking {needed} inputs of 1000 B",
            got="the input read to its end (the check's endless input stops after 2000 chunks)",
            next="yield each piece inside the `for chunk in chunks:` loop, as soon as the buffer holds `size` bytes",
        ) from None
    except StopIteration:
        raise Failure(
            "on an endless input, rechunk stopped early.",
            expected=f"{wanted} pieces of {size(piece_size)}",
            got="the generator ended",
            next="keep looping over the input as long as it gives chunks",
        ) from None
    if [len(p) for p in got] != [piece_size] * wanted or pulled[0] > needed + 1:
        raise Failure(
            "on an endless input, rechunk took more than the pieces needed.",
            expected=f"{wanted} pieces of {size(piece_size)} after taking {needed} inputs of 1000 B",
            got=f"{sizes([len(p) for p in got])} after taking {pulled[0]} inputs",
            next="take the next input only when the buffer holds less than `size` bytes",
        )
    if hasattr(pieces, "close"):
        pieces.close()
    return (
        f'[b"ab", b"cde", b"f"] -> b"abcd", b"ef"; inputs longer than size split, empty inputs skipped, '
        f"nothing from nothing, size <= 0 refused; 400 uneven inputs in 1000 B pieces and 1 MiB + 8 B in "
        f"{len(default_sizes) - 1} x 64 KiB + {size(default_sizes[-1])}, bytes identical; "
        f"an endless input gave {wanted} pieces after taking {needed} chunks."
    )


# -- 1.5 aiter_file -------------------------------------------------------------------------------------

TICK = 0.005  # the ticker coroutine's period
FREEZE = 0.04  # a gap between ticks longer than this counts as the loop standing still
PIPE_PIECES, PIPE_PIECE, PIPE_INTERVAL = 6, 16 * KiB, 0.12


async def _read_while_ticking(aiter_file, path, chunk_size: int, limit: int) -> tuple[list[bytes], float, float]:
    """Read `path` with the answer while a ticker coroutine runs; return the chunks, time frozen, time taken."""
    ticks: list[float] = []
    running = True

    async def ticker() -> None:
        while running:
            ticks.append(time.monotonic())
            await asyncio.sleep(TICK)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    began = time.monotonic()
    try:
        got = await take_chunks_async(aiter_file(path, chunk_size), limit, "aiter_file")
    finally:
        ended = time.monotonic()
        running = False
        await task
    marks = [began] + [t for t in ticks if began < t < ended] + [ended]
    frozen = sum(gap for gap in (b - a for a, b in zip(marks, marks[1:])) if gap > FREEZE)
    return got, frozen, ended - began


async def _first_then_aclose(aiter_file, path) -> None:
    chunks = aiter_file(path, 64 * KiB)
    await chunks.__anext__()
    await chunks.aclose()


async def _count_chunks(chunks: Any, limit: int) -> int:
    """Go through the chunks keeping none of them (to measure what the answer itself holds)."""
    count = 0
    async for _ in chunks:
        count += 1
        if count >= limit:
            break
    return count


def _take_async(aiter_file, path, chunk_size: int | None, limit: int) -> list[bytes]:
    chunks = aiter_file(path) if chunk_size is None else aiter_file(path, chunk_size)
    return run_async(take_chunks_async(chunks, limit, "aiter_file"))


@case("1.5")
def check_aiter_file(aiter_file, ctx) -> str:
    with workdir() as folder:
        small = folder / "small.bin"
        data = write_sample(small, 3 * 64 * KiB + 3409, seed=10)

        # What calling it gives: an async generator, not a coroutine or a plain generator.
        try:
            made = aiter_file(folder / "not-there.bin", 64 * KiB)
        except FileNotFoundError:
            raise Failure(
                "calling aiter_file opened the file at once, before anything asked for a chunk.",
                expected="nothing opened before the first `async for` step",
                got="FileNotFoundError raised by the call itself",
                next="make it `async def` with `yield` in its body",
            ) from None
        if inspect.iscoroutine(made):
            made.close()
            returned = run_async(aiter_file(small, 64 * KiB))  # a stub raises NotImplementedError here
            raise Failure(
                "aiter_file is a coroutine function: an async def that returns gives one result, not a stream.",
                expected="an async generator (async def with `yield`), used with `async for chunk in aiter_file(...)`",
                got=f"a coroutine that returned a {type(returned).__name__}, after reading everything",
                next="`yield` each chunk inside the async def instead of returning them",
            )
        if inspect.isgenerator(made) or (hasattr(made, "__next__") and not hasattr(made, "__anext__")):
            if hasattr(made, "close"):
                made.close()
            raise Failure(
                "aiter_file returned a plain generator, not an async generator.",
                expected="an async generator (async def with `yield`), used with `async for`",
                got="a generator from a plain def: `async for` cannot use it, and its reads block the event loop",
                next="make it `async def aiter_file(...)` and await each read in a worker thread",
            )
        if not hasattr(made, "__anext__"):
            raise Failure(
                f"aiter_file returned a {type(made).__name__}, not an async generator.",
                expected="an async generator (async def with `yield`), used with `async for`",
                got=f"a {type(made).__name__}",
                next="make it `async def aiter_file(...)` and `yield` each chunk",
            )
        if hasattr(made, "aclose"):
            run_async(made.aclose())

        # Chunks and bytes, with the default chunk_size and another one; an empty file; bad chunk sizes.
        expected = [64 * KiB] * 3 + [3409]
        for chunk_size, want in ((None, expected), (50_000, [50_000] * 4 + [len(data) - 200_000])):
            got = _take_async(aiter_file, small, chunk_size, limit=len(want) + 2)
            step = f"{chunk_size} B chunks" if chunk_size else "the default chunk_size"
            if [len(c) for c in got] != want:
                raise Failure(
                    f"a {len(data)} B file in {step} gave the wrong pieces.",
                    expected=sizes(want) + f" ({len(data)} bytes)",
                    got=sizes([len(c) for c in got]) + f" ({sum(len(c) for c in got)} bytes)",
                    next="read exactly chunk_size bytes per step; only the last chunk may be shorter",
                )
            if b"".join(got) != data:
                raise Failure(
                    f"a {len(data)} B file in {step}: the chunks have the right sizes but not the file's bytes.",
                    expected="the file's bytes, in order",
                    got="different bytes",
                    next="yield each read() as it comes, without changing it",
                )
        empty = folder / "empty.bin"
        empty.write_bytes(b"")
        got = _take_async(aiter_file, empty, KiB, limit=1)
        if got:
            raise Failure(
                "an empty file gave chunks.",
                expected="nothing: the loop ends at once",
                got=sizes([len(c) for c in got]),
                next="check for the end of the file (read() returns b'') before yielding",
            )
        for bad in (0, -1):
            try:
                got = _take_async(aiter_file, small, bad, limit=3)
            except ValueError:
                continue
            raise Failure(
                f"chunk_size={bad} was accepted.",
                expected="ValueError",
                got=sizes([len(c) for c in got]),
                next="raise ValueError when chunk_size <= 0: read(0) returns b'' and read(-1) reads everything",
            )

        # Closed at the end and on aclose().
        with unclosed_files() as leaked:
            _take_async(aiter_file, small, 64 * KiB, limit=6)
            if is_open(small):
                raise Failure(
                    "the file was still open after the last chunk.",
                    expected="the file closed when the async generator ends",
                    got="the file still open",
                    next="close the file in a `finally:` (or use `with`) inside the async generator",
                )
            run_async(_first_then_aclose(aiter_file, small))
            if is_open(small):
                raise Failure(
                    "the file stayed open after the async generator was closed early.",
                    expected="aclose() (or a `break` out of an async for loop) closes the file",
                    got="the file still open after aclose()",
                    next="close the file in a `finally:` inside the async generator",
                )
        if any(str(small) in message for message in leaked):
            raise Failure(
                "the file was never closed by the async generator; Python closed it when it threw it away.",
                expected="the file closed by the generator itself, at the end and on aclose()",
                got="ResourceWarning: unclosed file",
                next="close the file in a `finally:` inside the async generator",
            )

        # Memory: an 8 MiB file in 64 KiB chunks.
        big = folder / "big.bin"
        write_sample(big, 8 * MiB, seed=11)
        bound = 1 * MiB
        with peak_memory() as peak:
            run_async(_count_chunks(aiter_file(big, 64 * KiB), limit=130))
        if peak[0] > bound:
            raise Failure(
                f"reading an {size(8 * MiB)} file in {size(64 * KiB)} chunks took {size(peak[0])} of memory "
                "at its peak.",
                expected=f"under {size(bound)}, whatever the file's size",
                got=f"{size(peak[0])}: the whole file was in memory at once",
                next="read chunk_size bytes per step; never read() the whole file and slice it",
            )

        # The event loop: a named pipe that gets one piece every PIPE_INTERVAL s makes each read wait for real.
        if not hasattr(os, "mkfifo"):
            loop_note = "(no named pipes on this system: the event loop was not measured)"
        else:
            pieces = [sample_bytes(PIPE_PIECE, seed=20 + i) for i in range(PIPE_PIECES)]
            with SlowPipe(folder / "slow.pipe", pieces, PIPE_INTERVAL) as pipe:
                got, frozen, took = run_async(
                    _read_while_ticking(aiter_file, pipe.path, PIPE_PIECE, limit=PIPE_PIECES * PIPE_PIECE)
                )
            if frozen > took / 2:
                raise Failure(
                    "the event loop froze while aiter_file waited for data: other coroutines could not run.",
                    expected=f"other coroutines keep running while a read waits (a {TICK * 1000:g} ms ticker "
                    f"kept ticking while a slow pipe was read)",
                    got="the ticker stood still for more than half of the read: each read() ran on the "
                    "event loop's own thread",
                    next="run each read in a worker thread: chunk = await asyncio.to_thread(f.read, chunk_size)",
                )
            if b"".join(got) != b"".join(pieces):
                raise Failure(
                    "read from a slow pipe, the bytes came out different.",
                    expected=f"{PIPE_PIECES * PIPE_PIECE} bytes, as written to the pipe",
                    got=f"{sum(len(c) for c in got)} bytes, different ones",
                    next="read until read() returns b'', yielding each chunk as it comes",
                )
            loop_note = (
                f"a {TICK * 1000:g} ms ticker kept running while a slow pipe was read "
                f"({size(PIPE_PIECE)} every {PIPE_INTERVAL:g} s)"
            )
    return (
        f"an async generator; {sizes(expected)}, bytes identical; an empty file and chunk_size <= 0 handled; "
        f"file closed at the end and on aclose(); peak memory under {size(bound)} for {size(8 * MiB)}; {loop_note}."
    )
