"""Renames .part to dest when done but leaves .part.validator behind."""

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from course_lib.support.ch03 import file_sha256, repr_digest

EXERCISE = "3.4"
CASE = "leaves_the_final_file_only"
MESSAGE = ["✗ 3.4 download: download left its working files behind.", "  got:      video.webm.part.validator"]


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    on_progress: Callable[[int, int | None], object] | None = None,
    attempts: int = 5,
    backoff: float = 0.5,
) -> str:
    class Restart(Exception):
        """The partial file cannot be continued: start again from byte 0."""

    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    validator_file = dest.with_name(dest.name + ".part.validator")
    failures = 0
    with httpx.Client(timeout=10.0) as client:
        while True:
            have = part.stat().st_size if part.exists() else 0
            validator = validator_file.read_text() if validator_file.exists() else None
            headers = {}
            if have and validator:
                headers = {"Range": f"bytes={have}-", "If-Range": validator}
            progressed = False
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 416:
                        raise Restart()
                    response.raise_for_status()
                    if response.status_code == 206:
                        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", response.headers.get("content-range", ""))
                        if not match or int(match[1]) != have:
                            raise Restart()
                        total = int(match[3]) if match[3] != "*" else None
                        mode = "ab"
                    else:
                        have = 0
                        length = response.headers.get("content-length")
                        total = int(length) if length and length.isdigit() else None
                        mode = "wb"
                    new_validator = response.headers.get("etag") or response.headers.get("last-modified")
                    if new_validator and not new_validator.startswith("W/"):
                        validator_file.write_text(new_validator)
                    else:
                        validator_file.unlink(missing_ok=True)
                    digest = sha256 or repr_digest(response)
                    with open(part, mode) as f:
                        for chunk in response.iter_bytes():
                            f.write(chunk)
                            have += len(chunk)
                            progressed = True
                            if on_progress is not None:
                                on_progress(have, total)
            except Restart:
                part.unlink(missing_ok=True)
                validator_file.unlink(missing_ok=True)
                failures += 1
                if failures >= attempts:
                    raise ValueError(f"{url}: the server would not continue the partial download") from None
                continue
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code < 500:
                    raise
                failures = 0 if progressed else failures + 1
                if failures >= attempts:
                    raise
                time.sleep(backoff * 2 ** max(failures - 1, 0))
                continue
            got = file_sha256(part)
            if digest is not None and got != digest.lower():
                part.unlink(missing_ok=True)
                validator_file.unlink(missing_ok=True)
                raise ValueError(f"{url}: sha256 of the download is {got}, expected {digest.lower()}")
            os.replace(part, dest)
            return got
