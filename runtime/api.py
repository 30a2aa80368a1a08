"""Every runtime function written in Python, registered as gates (runtime.gates.GATES)."""

from . import chan as _chan  # noqa: F401  (imported for their @gate registrations)
from . import preempt as _preempt  # noqa: F401
from . import print as _print  # noqa: F401
from . import proc as _proc  # noqa: F401
from . import sema as _sema  # noqa: F401
from . import stack as _stack  # noqa: F401
from . import time as _time  # noqa: F401
from .gates import GATES

__all__ = ["GATES"]
