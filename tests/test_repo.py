"""The project's own contracts: exact pins, loopback only, the two-command setup refusing old Pythons."""

import glob
import re
import shutil
import subprocess

import pytest

from conftest import ROOT


def test_requirements_pin_exact_versions():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    packages = [l for l in lines if l and not l.startswith("#")]
    assert packages and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[A-Za-z0-9_.+\-]+", p) for p in packages), [
        p for p in packages if "==" not in p
    ]
    names = {p.split("==")[0].lower().replace("_", "-") for p in packages}
    for needed in ("fastapi", "starlette", "uvicorn", "httpx", "nest-asyncio2", "jupyterlab", "nbval", "pytest",
                   "psutil", "matplotlib", "tqdm", "hypothesis", "ipykernel"):  # fmt: skip
        assert needed in names, needed


def test_servers_listen_on_loopback_only():
    for path in list((ROOT / "course_lib").rglob("*.py")) + list((ROOT / "solutions").glob("*.py")):
        assert "0.0.0.0" not in path.read_text(), path


def test_gitignore_keeps_generated_files_out():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in (".venv/", ".ipynb_checkpoints/", "__pycache__/", ".course/"):
        assert entry in ignored


def older_python():
    for candidate in sorted(glob.glob("/root/.pyenv/versions/3.[6-9]*/bin/python3")) + ["python3.9", "python3.8"]:
        if shutil.which(candidate) or (candidate.startswith("/") and shutil.os.path.exists(candidate)):
            probe = subprocess.run([candidate, "--version"], capture_output=True, text=True)
            if probe.returncode == 0:
                return candidate
    return None


def test_make_refuses_python_older_than_311(tmp_path):
    python = older_python()
    if python is None or shutil.which("make") is None:
        pytest.skip("no Python older than 3.11 (or no make) on this machine to try")
    result = subprocess.run(["make", "-C", str(ROOT), "setup", f"PYTHON={python}", f"VENV={tmp_path}/venv"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "This course needs Python 3.11 or newer" in result.stdout + result.stderr
    assert not (tmp_path / "venv").exists()
