# The JupyterHub that tests/test_jupyterhub.py runs: a class on one machine, each learner with a copy of the
# course in their home, all of them sharing one Python environment (this one, with requirements.txt installed).
#
#     jupyterhub -f tests/hub/jupyterhub_config.py      (the test sets the COURSE_HUB_* variables below)
#
# What a real hub changes: the authenticator (DummyAuthenticator lets anyone in who knows the one shared
# password: use your school's OAuth/LDAP/... authenticator), the spawner (SimpleLocalProcessSpawner gives no
# isolation between users and is for tests only: use LocalProcessSpawner with real Unix users, or
# DockerSpawner / KubeSpawner), the addresses (a real hub listens on its public name with TLS, and sets
# c.JupyterHub.public_url), and the place of the state files.  What stays: every learner's server is this
# environment's `jupyterhub-singleuser` (so jupyter-server-proxy, which the course needs on a hub, is loaded),
# it opens in the learner's copy of the course (nbgitpuller or a copy made at spawn time puts it at ~/course),
# and the learner's browser reaches the servers notebooks start only through /user/<name>/proxy/<port>/.

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub's config loader defines it

state = Path(os.environ["COURSE_HUB_STATE"])  # the hub's database, cookie secret, the proxy's pid file
homes = Path(os.environ["COURSE_HUB_HOMES"])  # one folder per learner, <homes>/<name>, holding course/
course = os.environ.get("COURSE_HUB_COURSE", "course")  # the course's folder in each home

# -- addresses: everything on 127.0.0.1; the browser knows the hub only by its public port ----------------
c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['COURSE_HUB_PORT']}"  # the proxy: the one public door
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ['COURSE_HUB_HUB_PORT']}"  # the hub, behind it
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['COURSE_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [os.environ["COURSE_HUB_PROXY_COMMAND"]]  # from tests/hub/package.json
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server (and so their kernels)
c.JupyterHub.cleanup_proxy = True

# -- who may log in (a real hub: its own authenticator) ----------------------------------------------------
c.JupyterHub.authenticator_class = "dummy"  # any name, one shared password
c.DummyAuthenticator.password = os.environ["COURSE_HUB_PASSWORD"]  # JupyterHub 5.3+ logs that SharedPasswordAuthenticator replaces it
c.Authenticator.allowed_users = set(os.environ["COURSE_HUB_USERS"].split())

# -- each learner's server (a real hub: LocalProcessSpawner with Unix users, or a container spawner) -------
c.JupyterHub.spawner_class = "simple"  # jupyterhub.spawner.SimpleLocalProcessSpawner
c.SimpleLocalProcessSpawner.home_dir_template = str(homes / "{username}")
c.Spawner.cmd = [str(Path(sys.prefix) / "bin" / "jupyterhub-singleuser")]  # the course's environment
c.Spawner.ip = "127.0.0.1"
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = f"/lab/tree/{course}/notebooks/01_chunk_generators.ipynb"
c.Spawner.start_timeout = c.Spawner.http_timeout = 120  # a loaded two-core machine
c.LocalProcessSpawner.interrupt_timeout = 20
if os.getuid() == 0:  # containers run as root, and a Jupyter server refuses root without this
    c.Spawner.args = ["--ServerApp.allow_root=True"]

# -- for the test only: a service token that may look into every learner's server (its kernels and sessions)
if os.environ.get("COURSE_HUB_TEST_TOKEN"):
    c.JupyterHub.services = [{"name": "course-test", "api_token": os.environ["COURSE_HUB_TEST_TOKEN"]}]
    c.JupyterHub.load_roles = [{"name": "course-test", "services": ["course-test"],
                                "scopes": ["access:servers", "read:users", "read:servers"]}]  # fmt: skip
