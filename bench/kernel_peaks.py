"""`python -m bench.kernel_peaks`: what one learner's kernel costs, to size a JupyterHub or Binder.

Executes each notebook with nbclient, as nbval does (kernel started in notebooks/, errors allowed: with the stubs
the check cells fail and the notebook goes on), from a fresh data folder, and every ~50 ms samples the memory of
the kernel and every process under it (the notebooks serve with uvicorn inside the kernel and start curl, wget
and nginx in places).  Per notebook: peak RSS summed over those processes, peak USS and PSS (the memory
that is really the learner's: shared library pages counted once across learners, not once per process), the
cell running at each peak (its index among all the notebook's cells, markdown included, from 0), the RSS the
kernel keeps once its notebook is done (what a kernel left open costs), CPU seconds (user + system of the
kernel and of every process it started, waited for or still running) and wall seconds.  Also: the size of the
data the notebooks write (COURSE_DATA, a learner's `.course/data`), and the memory of an idle Jupyter server
(what a hub's single-user server costs before any kernel starts).

USS and PSS are read from smaps a few milliseconds after RSS, so while memory climbs fast (notebook 02's
buffered download) a peak USS can exceed the peak RSS: size from the largest of the three.

Prints a table and writes JSON (bench/kernel_peaks.json by default; course_lib/recipes/z2jh-config.yaml is
checked against it by tests/test_recipes.py).  Run one answers mode at a time on a busy machine:
    python -m bench.kernel_peaks --answers solutions
    python -m bench.kernel_peaks --answers stubs          (merged into the same JSON)
Not part of `python -m bench`: each answers mode takes 1-2 minutes on 2 cores, the notebooks one at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "bench" / "kernel_peaks.json"
MiB = 1024 * 1024


def tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(root: psutil.Process) -> float:
    """User + system CPU of `root` and everything under it: finished children are in children_user/system
    of whoever waited for them, running ones are read directly."""
    total = 0.0
    for process in tree(root):
        try:
            t = process.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


class Sampler(threading.Thread):
    """Samples the memory of the processes under `parent` (this process: only the kernel and what it starts)."""

    def __init__(self, parent: psutil.Process, interval: float, full: bool) -> None:
        super().__init__(daemon=True)
        self.parent, self.interval, self.full = parent, interval, full
        self.cell: int | None = None  # set by the nbclient hooks
        self.peak = {"rss": (0, None), "uss": (0, None), "pss": (0, None), "processes": (0, None)}
        self.per_cell: dict[int, int] = {}  # cell index -> peak RSS while it ran
        self.commands: set[str] = set()
        self.samples = 0
        self.sample_seconds = 0.0
        self.stopping = threading.Event()

    def sample(self) -> None:
        started = time.perf_counter()
        rss = uss = pss = count = 0
        for process in self.parent.children(recursive=True):
            try:
                if self.full:
                    info = process.memory_full_info()
                    uss += info.uss
                    pss += getattr(info, "pss", 0)
                else:
                    info = process.memory_info()
                rss += info.rss
                count += 1
                self.commands.add(process.name())
            except psutil.Error:  # ended between the listing and the read
                continue
        cell = self.cell
        for key, value in (("rss", rss), ("uss", uss), ("pss", pss), ("processes", count)):
            if value > self.peak[key][0]:
                self.peak[key] = (value, cell)
        if cell is not None:
            self.per_cell[cell] = max(self.per_cell.get(cell, 0), rss)
        self.samples += 1
        self.sample_seconds += time.perf_counter() - started

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.sample()


def first_line(cell) -> str:
    for line in cell.source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()[:70]
    return ""


def run_notebook(path: Path, interval: float, full: bool, timeout: int) -> dict:
    nb = nbformat.read(path, as_version=4)
    me = psutil.Process()
    sampler = Sampler(me, interval, full)
    cells: dict[int, dict] = {}
    state: dict = {}

    def kernel() -> psutil.Process | None:
        found = [p for p in me.children() if "ipykernel" in " ".join(p.cmdline())]
        return found[0] if found else None

    def on_cell_execute(cell, cell_index):
        sampler.cell = cell_index
        k = state.setdefault("kernel", kernel())
        state["cell"] = (time.perf_counter(), cpu_seconds(k) if k else 0.0)

    def on_cell_executed(cell, cell_index, execute_reply):
        began, cpu_before = state.pop("cell")
        k = state.get("kernel")
        # The kernel is alive here: the children it waited for (curl, wget, nginx) are in its times.
        state["cpu"] = cpu_seconds(k) if k else 0.0
        state["rss"] = sum(p.memory_info().rss for p in tree(k)) if k else 0  # what an open kernel keeps
        cells[cell_index] = {
            "wall_s": round(time.perf_counter() - began, 3),
            "cpu_s": round(state["cpu"] - cpu_before, 3),
            "first_line": first_line(cell),
        }
        sampler.cell = None

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        on_cell_execute=on_cell_execute, on_cell_executed=on_cell_executed,
    )  # fmt: skip
    sampler.start()
    started = time.perf_counter()
    client.execute()
    total_cpu = state.get("cpu", 0.0)  # after the last cell, before the kernel was shut down
    end_rss = state.get("rss", 0)
    wall = time.perf_counter() - started
    sampler.stop()
    for index, peak in sampler.per_cell.items():
        cells.setdefault(index, {})["peak_rss_mib"] = round(peak / MiB, 1)

    def at(key):
        value, cell = sampler.peak[key]
        return {"mib": round(value / MiB, 1), "cell": cell, "first_line": cells.get(cell, {}).get("first_line")}

    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(total_cpu, 1),
        "peak_rss": at("rss"),
        "end_rss_mib": round(end_rss / MiB, 1),
        "peak_uss": at("uss") if full else None,
        "peak_pss": at("pss") if full else None,
        "peak_processes": sampler.peak["processes"][0],
        "commands": sorted(sampler.commands),
        # Cells that showed an error (with the stubs: the check cells).  The course's checks show their failure
        # as an error output, so the reply's status is not the place to look.
        "errors": [i for i, c in enumerate(client.nb.cells) if any(o.get("output_type") == "error"
                                                                    for o in c.get("outputs", []))],
        "busiest_cells": sorted(
            ({"cell": i, **c} for i, c in cells.items() if "cpu_s" in c), key=lambda c: -c["cpu_s"]
        )[:3],
        "samples": sampler.samples,
        "mean_sample_ms": round(1000 * sampler.sample_seconds / max(sampler.samples, 1), 2),
    }


def folder_size(folder: Path) -> dict:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    used = sum(p.lstat().st_blocks * 512 for p in files)  # on disk: sparse files count what they hold
    return {
        "files": len(files),
        "apparent_mib": round(sum(p.lstat().st_size for p in files) / MiB, 1),
        "disk_mib": round(used / MiB, 1),
        "largest": sorted(((p.name, round(p.lstat().st_size / MiB, 1)) for p in files), key=lambda x: -x[1])[:5],
    }


def idle_jupyter_server(settle: float = 8.0) -> dict:
    """RSS of `jupyter lab` (what jupyterhub-singleuser runs) once started and its front page served, no kernel."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="kernel-peaks-lab-") as home:
        env = dict(os.environ, HOME=home, JUPYTER_RUNTIME_DIR=home, JUPYTER_CONFIG_DIR=home + "/cfg")
        lab = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.token=", "--ServerApp.root_dir=" + str(ROOT),
             "--Application.log_level=WARN", *(["--allow-root"] if os.geteuid() == 0 else [])],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            import urllib.request

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5).read()
                    break
                except OSError:
                    time.sleep(0.5)
            time.sleep(settle)
            processes = tree(psutil.Process(lab.pid))
            rss = sum(p.memory_info().rss for p in processes)
            pss = sum(getattr(p.memory_full_info(), "pss", 0) for p in processes)
            return {"rss_mib": round(rss / MiB, 1), "pss_mib": round(pss / MiB, 1), "processes": len(processes)}
        finally:
            lab.terminate()
            try:
                lab.wait(20)
            except subprocess.TimeoutExpired:
                lab.kill()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kernel_peaks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--answers", default="solutions,stubs", help="comma-separated: solutions, stubs")
    parser.add_argument("--notebooks", default="", help="comma-separated name prefixes (default: all)")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between samples")
    parser.add_argument("--rss-only", action="store_true", help="skip USS/PSS (reads smaps, costs more)")
    parser.add_argument("--no-server", action="store_true", help="skip the idle Jupyter server measurement")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.notebooks:
        notebooks = [n for n in notebooks if any(n.name.startswith(p) for p in args.notebooks.split(","))]
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results["machine"] = {
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1), "platform": platform.platform(),
        "interval_s": args.interval,
    }  # fmt: skip
    for answers in [a.strip() for a in args.answers.split(",") if a.strip()]:
        mode = results.setdefault(answers, {})
        with tempfile.TemporaryDirectory(prefix=f"kernel-peaks-{answers}-") as tmp:
            saved = dict(os.environ)
            os.environ.update(
                COURSE_ANSWERS=answers,
                COURSE_DATA=str(Path(tmp) / "data"),  # fresh, as a new learner's .course/data
                COURSE_PROGRESS=str(Path(tmp) / "progress.json"),
                PYTHONPATH=str(ROOT),
                MPLBACKEND="agg",
            )
            try:
                for notebook in notebooks:
                    print(f"{answers}: {notebook.name} ...", flush=True)
                    mode[notebook.name] = run_notebook(notebook, args.interval, not args.rss_only, args.timeout)
                    print(f"   {json.dumps({k: mode[notebook.name][k] for k in ('wall_s', 'cpu_s', 'peak_rss')})}",
                          flush=True)  # fmt: skip
                if len(notebooks) == len(list(NOTEBOOKS.glob("*.ipynb"))):
                    mode["data_written"] = folder_size(Path(tmp) / "data")
            finally:
                os.environ.clear()
                os.environ.update(saved)
    if not args.no_server:
        print("idle jupyter lab ...", flush=True)
        results["idle_jupyter_server"] = idle_jupyter_server()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"written to {args.out}")
    return 0


def table(results: dict) -> str:
    rows = ["| notebook | answers | peak RSS (MiB) | peak USS | peak PSS | peak at cell | RSS at end | CPU s "
            "| wall s |", "|---|---|---:|---:|---:|---|---:|---:|---:|"]  # fmt: skip
    for answers in ("solutions", "stubs"):
        for name, r in sorted(results.get(answers, {}).items()):
            if not name.endswith(".ipynb"):
                continue
            uss = r["peak_uss"]["mib"] if r.get("peak_uss") else "-"
            pss = r["peak_pss"]["mib"] if r.get("peak_pss") else "-"
            rows.append(f"| {name} | {answers} | {r['peak_rss']['mib']} | {uss} | {pss} | "
                        f"{r['peak_rss']['cell']} `{r['peak_rss']['first_line']}` | {r.get('end_rss_mib', '-')} | "
                        f"{r['cpu_s']} | {r['wall_s']} |")  # fmt: skip
    for answers in ("solutions", "stubs"):
        data = results.get(answers, {}).get("data_written")
        if data:
            rows.append(f"\ndata written ({answers}): {data['files']} files, {data['apparent_mib']} MiB apparent, "
                        f"{data['disk_mib']} MiB on disk; largest {data['largest']}")  # fmt: skip
    if "idle_jupyter_server" in results:
        rows.append(f"idle jupyter lab: {results['idle_jupyter_server']}")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
