"""The grading recipes an instructor copies: each validates against the schema of the engine that runs it, and a
broken copy does not (so the validation is real), and each calls the course's commands with options they have."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from course_lib._grade import notebook_check_cells

RECIPES = ROOT / "course_lib" / "recipes"
Z2JH_CONFIG = RECIPES / "z2jh-config.yaml"
GRADING_RECIPES = sorted(p.name for p in RECIPES.iterdir() if p != Z2JH_CONFIG)
PEAKS = ROOT / "bench" / "kernel_peaks.json"  # python -m bench.kernel_peaks


def tool(name: str) -> str:
    """A command of this Python's environment (both are pinned in requirements.txt)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed beside {sys.executable}: pip install -r requirements.txt"
    return found


def validate_kubernetes(path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("kubernetes-validate"), "--strict", str(path)], capture_output=True, text=True)


def validate_workflow(path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True)  # fmt: skip


def test_kubernetes_indexed_job_validates(tmp_path):
    manifest = RECIPES / "kubernetes-indexed-job.yaml"
    done = validate_kubernetes(manifest)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed for resource job/grade-class" in done.stdout + done.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(manifest.read_text().replace("completionMode: Indexed", "completionMod: Indexed"))
    assert validate_kubernetes(broken).returncode != 0, "a misspelt field passed: the validation is not real"


def test_github_actions_workflow_validates(tmp_path):
    workflow = RECIPES / "github-actions-grade.yml"
    done = validate_workflow(workflow)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow.read_text().replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04"))
    assert validate_workflow(broken).returncode != 0, "a misspelt key passed: the validation is not real"


@pytest.mark.parametrize("recipe", GRADING_RECIPES)
def test_recipes_use_options_the_commands_have(recipe):
    text = (RECIPES / recipe).read_text()
    for command in ("grade-one", "merge"):
        lines = [line for line in text.splitlines() if f"course_lib {command} " in line]
        assert lines, f"{recipe} never runs {command}"
        options = set(re.findall(r"--[a-z][a-z-]+", " ".join(lines)))
        shown = subprocess.run([sys.executable, "-m", "course_lib", command, "--help"], cwd=ROOT,
                               capture_output=True, text=True).stdout  # fmt: skip
        assert {o for o in options if o not in shown} == set(), f"{recipe} uses options {command} does not have"


# The Zero to JupyterHub config.  No schema of the z2jh chart ships in a Python package, so it is not validated
# here against one; these are the keys of z2jh 4.x's values.schema.yaml it may use, at levels where that schema
# has additionalProperties: false (the config was validated once, merged into the chart's default values,
# against the 4.4.0 schema).  None: anything below is the chart's business.
Z2JH_KEYS = {
    "singleuser": {
        "image": {"name": None, "tag": None, "pullPolicy": None, "pullSecrets": None},
        "memory": {"limit": None, "guarantee": None},
        "cpu": {"limit": None, "guarantee": None},
        "storage": {"capacity": None, "type": None, "homeMountPath": None, "dynamic": None, "static": None,
                    "extraLabels": None, "extraVolumes": None, "extraVolumeMounts": None},  # fmt: skip
        "lifecycleHooks": {"postStart": None, "preStop": None},
        "extraFiles": None, "extraEnv": None, "defaultUrl": None, "startTimeout": None, "initContainers": None,
        "cmd": None, "networkPolicy": None, "profileList": None, "nodeSelector": None, "extraTolerations": None,
    },
    "cull": {"enabled": None, "users": None, "adminUsers": None, "removeNamedServers": None, "timeout": None,
             "every": None, "concurrency": None, "maxAge": None},  # fmt: skip
    "hub": None, "proxy": None, "prePuller": None, "scheduling": None, "ingress": None, "imagePullSecrets": None,
}  # fmt: skip

MiB = 1024 * 1024
#: KubeSpawner reads memory as a ByteSpecification: K, M, G, T are powers of 1024, and nothing else is accepted.
SPAWNER_UNITS = {"K": 1024, "M": MiB, "G": 1024 * MiB, "T": 1024 * 1024 * MiB}
#: The storage capacity is a Kubernetes quantity.
K8S_UNITS = {"Ki": 1024, "Mi": MiB, "Gi": 1024 * MiB, "Ti": 1024 * 1024 * MiB, "M": 10**6, "G": 10**9}
#: How far above what was measured each limit must be.
HEADROOM = 1.25


def z2jh_config() -> dict:
    return yaml.safe_load(Z2JH_CONFIG.read_text())


def peaks() -> dict:
    assert PEAKS.exists(), "bench/kernel_peaks.json is missing: python -m bench.kernel_peaks"
    return json.loads(PEAKS.read_text())


def mib(value, units) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value)).groups()
    assert unit in units, f"{value}: the unit must be one of {sorted(units)}"
    return float(number) * units[unit] / MiB


def notebook_runs(measured: dict):
    for answers in ("solutions", "stubs"):
        for name, run in measured[answers].items():
            if name.endswith(".ipynb"):
                yield answers, name, run


def test_z2jh_config_uses_keys_the_chart_has():
    def unknown(config, allowed, where=""):
        for key, value in config.items():
            if key not in allowed:
                yield f"{where}{key}"
            elif allowed[key] is not None and isinstance(value, dict):
                yield from unknown(value, allowed[key], f"{where}{key}.")

    assert list(unknown(z2jh_config(), Z2JH_KEYS)) == []
    misspelt = {"singleuser": {"memory": {"limt": "2G"}}}
    assert list(unknown(misspelt, Z2JH_KEYS)) == ["singleuser.memory.limt"], "the key check is not real"


def test_kernel_peaks_cover_every_notebook_and_are_sound():
    """The measurement the config rests on ran every notebook to its end: with the solutions no cell failed,
    with the stubs exactly the check cells did (as under nbval)."""
    measured = peaks()
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    for answers in ("solutions", "stubs"):
        assert sorted(n for n in measured[answers] if n.endswith(".ipynb")) == notebooks, answers
        assert measured[answers]["data_written"]["files"] > 0
    for answers, name, run in notebook_runs(measured):
        cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
        code_number = {index: n for n, index in enumerate(i for i, c in enumerate(cells) if c["cell_type"] == "code")}
        remeasure = f"bench/kernel_peaks.json was measured on another version of {name}: run " \
                    f"`python -m bench.kernel_peaks --answers {answers}` and commit what it writes"  # fmt: skip
        assert all(i in code_number for i in run["errors"]), remeasure
        failed = sorted(code_number[i] for i in run["errors"])
        expected = [] if answers == "solutions" else sorted(notebook_check_cells(ROOT / "notebooks" / name))
        assert failed == expected, f"{name} with the {answers}: cells {failed} failed, expected {expected}"
        assert run["samples"] > 20 and run["peak_rss"]["mib"] > 50, f"{name}: the sampler saw nothing"


def test_z2jh_memory_covers_the_measured_peaks():
    measured, memory = peaks(), z2jh_config()["singleuser"]["memory"]
    worst = max(run[key]["mib"] for _, _, run in notebook_runs(measured) for key in ("peak_rss", "peak_uss", "peak_pss")
                if run.get(key))  # fmt: skip
    left_open = max(run["end_rss_mib"] for _, _, run in notebook_runs(measured))
    server = measured["idle_jupyter_server"]["rss_mib"]
    limit, guarantee = mib(memory["limit"], SPAWNER_UNITS), mib(memory["guarantee"], SPAWNER_UNITS)
    # One kernel at its notebook's peak, one more kernel left open, and the Jupyter server.
    assert limit >= (worst + left_open + server) * HEADROOM, (limit, worst, left_open, server)
    # Between peaks: the server and one kernel whose notebook is done.
    assert (left_open + server) * HEADROOM <= guarantee <= limit, (guarantee, left_open, server)


def test_z2jh_cpu_covers_the_measured_cells():
    measured, cpu = peaks(), z2jh_config()["singleuser"]["cpu"]
    busiest = max(cell["cpu_s"] / cell["wall_s"] for _, _, run in notebook_runs(measured)
                  for cell in run["busiest_cells"] if cell["wall_s"] >= 0.5)  # fmt: skip
    assert cpu["limit"] >= busiest * HEADROOM, (cpu["limit"], busiest)
    # The guarantee is a share, not the peak: it must fit 300 learners on a few nodes and stay under the limit.
    assert 0 < cpu["guarantee"] <= cpu["limit"] and cpu["guarantee"] * 300 <= 64


def test_z2jh_storage_covers_the_data_the_course_writes():
    measured, storage = peaks(), z2jh_config()["singleuser"]["storage"]
    data = max(measured[answers]["data_written"]["disk_mib"] for answers in ("solutions", "stubs"))
    course = 0  # the learner's copy of the course: what is not hidden (.git, .venv, .course, caches)
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        course += sum(os.lstat(os.path.join(folder, f)).st_size for f in files) / MiB
    assert mib(storage["capacity"], K8S_UNITS) >= (data + course) * HEADROOM * 1.5, (storage["capacity"], data)


def test_z2jh_config_starts_learners_in_their_copy_of_the_course():
    text = Z2JH_CONFIG.read_text()
    config = z2jh_config()["singleuser"]
    target = re.search(r"--target-repo-dir (\S+)", text).group(1)  # where the repo2docker command puts the course
    command = " ".join(config["lifecycleHooks"]["postStart"]["exec"]["command"])
    copy = re.search(r'cp -a (\S+) "\$HOME/([\w.-]+)"', command)
    assert copy and copy.group(1) == target, command
    tree = re.fullmatch(r"/lab/tree/([\w.-]+)/(notebooks/[\w.-]+\.ipynb)", config["defaultUrl"])
    assert tree and tree.group(1) == copy.group(2) and (ROOT / tree.group(2)).exists(), config["defaultUrl"]
