"""Where the learner's *browser* reaches a server that this machine runs on 127.0.0.1.

Code in the kernel uses `server.url` (http://127.0.0.1:<port>).  A browser can use that URL only when it runs
on the same machine as the kernel, as with `make lab` on a laptop.  On JupyterHub and Binder the browser is
somewhere else: the one door into the learner's server is the Jupyter server itself, and jupyter-server-proxy
(pinned in requirements.txt) forwards `<the server's base URL>proxy/<port>/...` to `localhost:<port>/...`
(jupyter_server_proxy/handlers.py, `LocalProxyHandler.proxy`).  That URL is a path on the page's own origin,
so it works in a notebook's HTML output as it is; a terminal needs the hub's public address in front of it,
which JupyterHub passes as JUPYTERHUB_PUBLIC_URL only when the hub was configured with `public_url`.

The choice, first match wins:
1. COURSE_BROWSER_URL, a template such as `https://{port}-myspace.app.github.dev` (VS Code and Codespaces
   forward ports under names of their own);
2. JUPYTERHUB_SERVICE_PREFIX, set by JupyterHub (and BinderHub, which runs one) for the learner's server and
   inherited by its kernels and terminals: `<prefix>proxy/<port>`;
3. the Jupyter server that started this kernel (found by its runtime file, `jpserver-<pid>.json`, among this
   process's ancestors), when it listens on an address other than loopback: `<its base_url>proxy/<port>`;
4. in Google Colab, the address Colab's own port proxy gives (`google.colab.kernel.proxyPort`, asked once per port);
5. otherwise the loopback URL itself.
"""

from __future__ import annotations

import functools
import importlib.util
import ipaddress
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BrowserRoute", "browser_route"]


@dataclass(frozen=True)
class BrowserRoute:
    """How a browser reaches 127.0.0.1:<port>: `url(port)`, and one line saying why (`how`)."""

    template: str  # with {port}
    how: str
    proxy_missing: bool = False  # the route needs jupyter-server-proxy, and this Python cannot import it

    def url(self, port: int) -> str:
        if self.template == COLAB:
            return _colab_url(port)
        return self.template.format(port=port)

    @property
    def same_origin_path(self) -> bool:
        """True when the URL is a path that only works from a page of the Jupyter server (no scheme and host)."""
        return self.template.startswith("/")


COLAB = "colab"


@functools.cache
def _colab_url(port: int) -> str:
    from google.colab.output import eval_js  # only importable inside Colab

    return str(eval_js(f"google.colab.kernel.proxyPort({int(port)})")).rstrip("/")


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def _proxy_route(origin: str, base_url: str, how: str) -> BrowserRoute:
    path = "/" + _join(base_url, "proxy", "{port}")  # no slash at the end, like LiveServer.url
    return BrowserRoute(
        template=origin.rstrip("/") + path if origin else path,
        how=how,
        proxy_missing=importlib.util.find_spec("jupyter_server_proxy") is None,
    )


def _runtime_dir() -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


def _ancestor_pids() -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process().parents()]
    except psutil.Error:
        return []


def jupyter_server_of_this_process() -> dict | None:
    """The runtime info (url, base_url, hostname, pid …) of the Jupyter server this process runs under, if any."""
    ancestors = set(_ancestor_pids())
    try:
        files = list(_runtime_dir().glob("jpserver-*.json"))
    except OSError:
        return None
    for file in files:
        try:
            info = json.loads(file.read_text())
        except (OSError, ValueError):
            continue
        if info.get("pid") in ancestors:
            return info
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@functools.cache
def browser_route() -> BrowserRoute:
    """The route for this process, decided once (the environment of a kernel does not change)."""
    template = os.environ.get("COURSE_BROWSER_URL", "").strip()
    if template:
        if "{port}" not in template:
            raise ValueError(f"COURSE_BROWSER_URL must contain {{port}}, got {template!r}")
        return BrowserRoute(template=template.rstrip("/"), how="from COURSE_BROWSER_URL")
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "")
    if prefix:
        public = os.environ.get("JUPYTERHUB_PUBLIC_URL", "")
        origin = ""
        if public:
            parts = public.split("/", 3)  # scheme, '', host, path: keep scheme://host
            origin = "/".join(parts[:3])
        return _proxy_route(origin, prefix, "through JupyterHub's jupyter-server-proxy (JUPYTERHUB_SERVICE_PREFIX)")
    server = jupyter_server_of_this_process()
    if server and not _is_loopback(str(server.get("hostname", ""))):
        how = f"through jupyter-server-proxy of the Jupyter server on {server.get('hostname')}"
        return _proxy_route("", str(server.get("base_url", "/")), how)
    if "google.colab" in sys.modules:
        return BrowserRoute(template=COLAB, how="through Colab's port proxy (google.colab.kernel.proxyPort)")
    return BrowserRoute(template="http://127.0.0.1:{port}", how="the browser runs on this machine")
