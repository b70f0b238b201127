"""Reading a response body as the client gets it: UTF-8 text across chunk boundaries, lines, and the
failure of a body cut off before its end."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from .._case import Failure


def text_of(chunks: Iterable[bytes], what: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            if text := decoder.decode(chunk):
                yield text
        if text := decoder.decode(b"", final=True):
            yield text
    except UnicodeDecodeError as exc:
        raise Failure(
            f"{what} is not valid UTF-8 (byte {exc.start} of a chunk).",
            expected="UTF-8 text",
            got=f"{exc.reason}",
            next="yield str (Starlette encodes it as UTF-8) or bytes from .encode()",
        ) from None


def lines_of(texts: Iterable[str]) -> Iterator[str]:
    """Lines with their "\n" endings, joined across chunk boundaries (what csv.reader wants)."""
    pending = ""
    for text in texts:
        *complete, pending = (pending + text).split("\n")
        for line in complete:
            yield line + "\n"
    if pending:
        yield pending


def truncated(exc: BaseException) -> Failure:
    return Failure(
        "the response broke off before its end.",
        expected="a complete body ending normally",
        got=f"{type(exc).__name__} while reading the body: the status was already sent, then the stream failed",
        next="look at what your generator raises; an error after the first chunk can only cut the stream",
    )
