"""Every exercise's checks: course_lib/checks/chNN/<function>.py holds the cases of one exercise.

Importing this package imports every module below it, which registers the cases (see _case.py); the order
of the cases is the order they are written in their module.
"""

import importlib
import pkgutil

for _module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
    importlib.import_module(_module.name)
