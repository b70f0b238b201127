"""Sample data the notebooks generate at run time, in the course's data folder: files of random bytes
(`sample_file`) and an SQLite database of orders (`orders_db`).

`orders_db()` builds a real SQLite file of made-up orders in the course's data folder the first time it
is called (a few seconds for a million rows) and reuses it afterwards.  The rows are the same on every
machine: one seeded random generator makes them.  A fraction of them carry the text that breaks naive
CSV code -- commas, double quotes, line breaks and non-ASCII letters -- so a chapter that exports the
table has something real to get right.

    >>> import sqlite3
    >>> conn = sqlite3.connect(orders_db())                        # doctest: +SKIP
    >>> conn.execute("SELECT * FROM orders WHERE id = 1").fetchone()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
import random
import sqlite3
from pathlib import Path

from ._answers import ROOT

__all__ = ["COLUMNS", "SCHEMA_VERSION", "data_dir", "orders_db", "sample_file"]

def data_dir() -> Path:
    """Where the course writes generated sample files (never committed)."""
    folder = Path(os.environ.get("COURSE_DATA") or ROOT / ".course" / "data")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sample_file(name: str, n: int) -> Path:
    """A file of `n` pseudo-random bytes in the data folder, made once and reused."""
    path = data_dir() / name
    if not path.exists() or path.stat().st_size != n:
        tmp = path.with_name(path.name + ".part")
        rng = random.Random(n)
        with open(tmp, "wb") as f:
            left = n
            while left:
                step = min(left, 1 << 20)
                f.write(rng.randbytes(step))
                left -= step
        os.replace(tmp, path)
    return path


#: Bump when the table or the way rows are made changes: every cached database is then rebuilt.
SCHEMA_VERSION = 3
SEED = 2026

COLUMNS = ("id", "created", "customer", "item", "notes", "quantity", "price_cents", "status")

_SCHEMA = """
CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    created     TEXT    NOT NULL,   -- ISO 8601, UTC, one second resolution
    customer    TEXT    NOT NULL,
    item        TEXT    NOT NULL,
    notes       TEXT    NOT NULL,   -- usually '', sometimes text with commas, quotes and line breaks
    quantity    INTEGER NOT NULL,
    price_cents INTEGER NOT NULL,   -- quantity x unit price, in cents
    status      TEXT    NOT NULL
)
"""

_FIRST = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Dennis", "Frances", "Ken", "Radia",
          "Søren", "Zoë", "José", "Mårten", "Chloé", "Jürgen", "Ngozi", "Yuki", "Priya", "Ólafur"]
_LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Liskov", "Ritchie", "Allen", "Thompson",
         "Perlman", "Kierkegaard", "Núñez", "O'Brien", "Łukasiewicz", "Müller", "Okafor", "Tanaka", "Rao"]

# (item, unit price in cents).  Some names carry a comma or double quotes on purpose.
_ITEMS = [
    ("USB-C cable", 899), ("Keyboard", 4999), ("Mouse", 2499), ("Monitor 27in", 27900),
    ("Desk lamp", 3450), ("Notebook, A5, dotted", 650), ('Sticker "Stream, don\'t buffer"', 199),
    ("Headphones", 8900), ("Chair", 18900), ("Café au lait mug", 1290), ("Cable ties, 100 pack", 450),
    ('Monitor arm 32"', 6900), ("Laptop stand", 3900), ("Webcam", 5900), ("Größe L T-shirt", 1990),
]
_ITEM_WEIGHTS = [30, 8, 10, 3, 6, 12, 9, 5, 2, 7, 10, 3, 5, 4, 6]

# Most orders have no notes; the rest pick one of these.  Each one trips a different part of CSV quoting.
_NOTES = [
    "",
    "leave at the door",
    "gift wrap, please",
    'customer said "asap"',
    "ring twice\nthen wait",
    "deliver to: 3rd floor, room 12",
    "naïve café order — résumé attached",
    'size "L", colour blue,\nsecond line',
    "日本語のメモ",
    "tabs\tinside",
]
_NOTE_WEIGHTS = [88, 3, 2, 1, 1, 1, 1, 1, 1, 1]

_STATUSES = ["paid", "shipped", "delivered", "cancelled", "refunded"]
_STATUS_WEIGHTS = [20, 25, 45, 7, 3]

_BATCH = 50_000


def _customers() -> list[str]:
    return [f"{first} {last}" for first in _FIRST for last in _LAST]


def _rows(rows: int, rng: random.Random):
    """The rows, in batches so that a million of them never sit in memory together.

    Each row is (id, created as Unix seconds, customer, item, notes, quantity, unit price, quantity,
    status): the INSERT turns the seconds into ISO 8601 text and multiplies the price, in C.
    """
    customers = _customers()
    stamp = int(_dt.datetime(2025, 1, 1, tzinfo=_dt.timezone.utc).timestamp())
    for first in range(1, rows + 1, _BATCH):
        n = min(_BATCH, rows - first + 1)
        stamps = list(itertools.accumulate(rng.choices(range(1, 60), k=n), initial=stamp))[1:]
        stamp = stamps[-1]
        items = rng.choices(_ITEMS, weights=_ITEM_WEIGHTS, k=n)
        quantities = rng.choices((1, 1, 1, 2, 2, 3, 4, 5, 10), k=n)
        yield list(zip(
            range(first, first + n),
            stamps,
            rng.choices(customers, k=n),
            [name for name, _ in items],
            rng.choices(_NOTES, weights=_NOTE_WEIGHTS, k=n),
            quantities,
            [price for _, price in items],
            quantities,
            rng.choices(_STATUSES, weights=_STATUS_WEIGHTS, k=n),
        ))


_INSERT = (
    "INSERT INTO orders VALUES "
    "(?, strftime('%Y-%m-%dT%H:%M:%SZ', ?, 'unixepoch'), ?, ?, ?, ?, ? * ?, ?)"
)


def _is_current(path: Path, rows: int) -> bool:
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            return False
        count, last = conn.execute("SELECT count(*), max(id) FROM orders").fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return (count, last) == (rows, rows or None)


def orders_db(rows: int = 1_000_000) -> Path:
    """The path of an SQLite database with one table, `orders`, of `rows` generated orders.

    Made in the course's data folder on first use and reused while its schema and row count match;
    built into a temporary file and moved into place, so an interrupted build never leaves half a
    database behind.  The same `rows` gives the same database on every machine.
    """
    if rows < 0:
        raise ValueError(f"rows must be 0 or more, got {rows}")
    path = data_dir() / (f"orders-{rows}.sqlite3" if rows != 1_000_000 else "orders.sqlite3")
    if _is_current(path, rows):
        return path
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # a fresh file: nothing to roll back to
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.execute(_SCHEMA)
        for batch in _rows(rows, random.Random(SEED)):
            conn.executemany(_INSERT, batch)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    finally:
        conn.close()
    os.replace(tmp, path)
    return path
