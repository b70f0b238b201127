"""Every chapter's checks and hints; importing this package registers them all."""

from . import ch01  # noqa: F401 - a package
from . import ch02  # noqa: F401
from . import ch03  # noqa: F401
from . import ch04  # noqa: F401
from . import ch04_safety  # noqa: F401
