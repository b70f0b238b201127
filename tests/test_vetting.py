"""The grader's vetting (course_lib/_vetting.py): every known road to a forged verdict is refused and named; no real
answer is (the reference answers, the committed stubs and every wrong or right answer in tests/answers/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from course_lib._vetting import vet

ANSWERS = sorted([*(ROOT / "solutions").glob("*.py"), *(ROOT / "exercises").glob("*.py"),
                  *(ROOT / "tests" / "answers").rglob("*.py")])  # fmt: skip


@pytest.mark.parametrize("path", ANSWERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_real_answers_are_not_refused(path: Path):
    assert [str(f) for f in vet(path.read_text())] == []


ROADS = {  # source -> a phrase of what the vetting says
    "import course_lib._checks as c\nc._verdict = print\n": "import course_lib._checks",
    "from course_lib._checks import check\n": "from course_lib._checks import",
    "from course_lib import checks\n": "from course_lib import",
    "import course_lib.support.ch02\n": "import course_lib.support.ch02",
    "import sys\nsys.modules['course_lib._checks']._verdict = print\n": "import sys",
    "import gc\n": "import gc",
    "import ctypes\n": "import ctypes",
    "import inspect\n": "import inspect",
    "import pickle\n": "import pickle",
    "import subprocess\n": "import subprocess",
    "from importlib import import_module\n": "from importlib import",
    "import httpx\nhttpx.Client = object\n": "changes httpx.Client",
    "from fastapi import FastAPI\nFastAPI.get = None\n": "changes FastAPI.get",
    "import json\ndel json.dumps\n": "changes json.dumps",
    "import httpx\nsetattr(httpx, 'Client', object)\n": "setattr",
    "import httpx\nvars(httpx)['Client'] = object\n": "vars",
    "import httpx\ngetattr(httpx, 'Cl' + 'ient')\n": "getattr other than",
    "import functools\nfunctools.partial(getattr)\n": "getattr other than",
    "def f():\n    pass\nf.__globals__['x'] = 1\n": ".__globals__",
    "x = object()\nx.__class__.__subclasses__()\n": ".__subclasses__",
    "e = None\ne.__traceback__\n": ".__traceback__",
    "import asyncio\nasyncio.current_task().get_stack()[0].f_globals\n": ".f_globals",
    "from operator import attrgetter\n": "from operator import attrgetter",
    "import string\nstring.Formatter().get_field('0', [1], {})\n": ".Formatter",
    "import os\nos.system('true')\n": ".system",
    "exec('1')\n": "exec",
    "eval('1')\n": "eval",
    "__import__('sys')\n": "__import__",
    "from . import x\n": "a relative import",
    "from json import *\n": "from json import *",
    # found by a red-team pass with the vetting on: each forged every verdict of a class before it was refused
    "imp = globals()['__builtins__']['__import__']\n": "globals",
    "k = '__builtins__'\n": "the special name '__builtins__' in a string",
    "from course_lib.measure import gc\n": "from course_lib.measure import gc (not one of the names it offers",
    "import httpx\nh = httpx\nh.Client = object\n": "uses the module httpx as a value",
    "import httpx\ndef patch(m):\n    m.Client = object\npatch(httpx)\n": "uses the module httpx as a value",
    "x = globals().items()\n": "globals",
}


@pytest.mark.parametrize("source", ROADS, ids=lambda s: s.splitlines()[-1][:40])
def test_each_road_to_a_forged_verdict_is_refused_and_named(source: str):
    found = [str(f) for f in vet(source)]
    assert any(ROADS[source] in f for f in found), found


def test_what_answers_do_is_let_through():
    fine = """
import asyncio, os, json
from pathlib import Path
from course_lib.support.ch02 import Order
from course_lib.data import data_dir

class Rows:
    def __init__(self):
        self.count = 0

def name_of(exc):
    return type(exc).__name__ + getattr(exc, "reason", "")

async def first(agen):
    return await agen.__anext__()

cursor = globals().setdefault("cursor", None)
shared = "SHARED" in globals()
if __name__ == "__main__":
    pass
"""
    assert vet(fine) == []


def test_check_says_first_what_the_grader_would_refuse(tmp_path):
    """A learner learns it from check(), not from a zero in the gradebook: the module is not even imported."""
    import shutil
    import subprocess
    import sys

    for module in (ROOT / "solutions").glob("*.py"):
        shutil.copyfile(module, tmp_path / module.name)
    target = tmp_path / "ch01_chunk_generators.py"
    target.write_text(target.read_text() + "\nimport sys\nprint('imported', file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-m", "course_lib", "--answers", str(tmp_path), "check", "1.1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the grader would refuse" in result.stdout and "import sys" in result.stdout, result.stdout
    assert "imported" not in result.stderr
