"""Where a learner's browser reaches a server the kernel runs: each route `browser_route()` can choose.

The route is decided in a child Python with the environment a kernel would inherit, because it is decided once per
process. The JupyterHub route is also exercised end to end, through a real hub, in tests/test_jupyterhub.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SHOW = "from course_lib._browser import browser_route as r; x = r(); print(x.url(8123)); print(x.how)"


def route_in_child(env: dict[str, str]) -> tuple[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "COURSE_BROWSER"))}
    result = subprocess.run([sys.executable, "-c", SHOW], env={**clean, **env}, capture_output=True, text=True,
                            timeout=60, check=True)  # fmt: skip
    url, how = result.stdout.splitlines()
    return url, how


def test_on_a_laptop_the_browser_uses_the_loopback_url(tmp_path):
    assert route_in_child({"JUPYTER_RUNTIME_DIR": str(tmp_path)})[0] == "http://127.0.0.1:8123"


def test_on_jupyterhub_the_browser_goes_through_the_servers_proxy(tmp_path):
    env = {"JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}
    assert route_in_child(env)[0] == "/user/ada/proxy/8123"
    env["JUPYTERHUB_PUBLIC_URL"] = "https://hub.example.org/user/ada/"
    assert route_in_child(env)[0] == "https://hub.example.org/user/ada/proxy/8123"


def test_a_jupyter_server_listening_beyond_loopback_is_found_among_the_ancestors(tmp_path):
    # The child's parent is this pytest process: a runtime file naming it stands for the server that started a kernel.
    info = {"pid": os.getpid(), "hostname": "0.0.0.0", "base_url": "/lab-base/", "url": "http://0.0.0.0:8888/"}
    (tmp_path / f"jpserver-{os.getpid()}.json").write_text(json.dumps(info))
    url, how = route_in_child({"JUPYTER_RUNTIME_DIR": str(tmp_path)})
    assert url == "/lab-base/proxy/8123" and "0.0.0.0" in how
    (tmp_path / f"jpserver-{os.getpid()}.json").write_text(json.dumps({**info, "hostname": "127.0.0.1"}))
    assert route_in_child({"JUPYTER_RUNTIME_DIR": str(tmp_path)})[0] == "http://127.0.0.1:8123"


def test_an_explicit_template_wins_and_must_name_the_port(tmp_path):
    env = {"COURSE_BROWSER_URL": "https://{port}-space.app.github.dev/", "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}
    assert route_in_child(env)[0] == "https://8123-space.app.github.dev"
    with pytest.raises(subprocess.CalledProcessError) as failed:
        route_in_child({"COURSE_BROWSER_URL": "https://space.example/"})
    assert "must contain {port}" in failed.value.stderr


def test_the_playground_on_a_hub_prints_the_address_for_the_learners_browser(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "COURSE_BROWSER"))}
    env.update(JUPYTERHUB_SERVICE_PREFIX="/user/ada/", JUPYTER_RUNTIME_DIR=str(tmp_path), COURSE_ANSWERS="solutions",
               COURSE_DATA=str(tmp_path / "data"))  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "course_lib", "serve", "01", "--port", "0"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        first, second = process.stdout.readline(), process.stdout.readline()
    finally:
        process.terminate()
        process.wait(30)
    port = first.split("http://127.0.0.1:")[1].split("/")[0]
    assert second.startswith(f"  in your browser: /user/ada/proxy/{port}/  (after your hub's address"), second


def test_a_busy_port_is_refused_with_what_to_do():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "course_lib", "serve", "01", "--port", str(port)],
                                capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2 and "--port 0 for any free one" in result.stderr, result.stderr


def test_in_colab_the_address_comes_from_colabs_port_proxy(tmp_path):
    # google.colab exists only inside Colab; this stand-in answers proxyPort() as Colab's documented JS call would.
    fake = tmp_path / "google" / "colab"
    fake.mkdir(parents=True)
    (tmp_path / "google" / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "output.py").write_text(
        "asked = []\n"
        "def eval_js(script):\n"
        "    asked.append(script)\n"
        "    return 'https://abc-' + script.split('(')[1].rstrip(')') + '-colab.googleusercontent.com/'\n"
    )
    show = "import google.colab; " + SHOW
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "COURSE_BROWSER"))}
    env = {**clean, "PYTHONPATH": f"{tmp_path}:{os.environ.get('PYTHONPATH', '')}", "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.splitlines()[0] == "https://abc-8123-colab.googleusercontent.com"
