"""The contents manager `make lab` gives JupyterLab, so that a notebook opens without unsaved changes.

When a kernel starts, JupyterLab writes the kernel's `language_info` into the notebook's metadata and marks the
notebook changed unless that metadata is already deep-equal.  The committed notebooks carry ipykernel's
`language_info` for one Python version; this manager shows each notebook with the version of the Python that
runs the course (the same .venv runs the kernel), so opening a notebook changes nothing.  Files on disk are
not touched until the learner saves.
"""

from __future__ import annotations

import platform
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager


class CourseContentsManager(AsyncLargeFileManager):
    async def get(self, path: str, content: bool = True, type: str | None = None, **kwargs: Any) -> dict:
        model = await super().get(path, content=content, type=type, **kwargs)
        if model.get("type") == "notebook" and model.get("content") is not None:
            info = model["content"].get("metadata", {}).get("language_info", {})
            if info.get("name") == "python" and "version" in info:
                info["version"] = platform.python_version()
        return model
