"""Every runtime function written in Python, registered as gates (runtime.gates.GATES)."""

from . import print as _print  # noqa: F401  (imported for its @gate registrations)
from . import proc as _proc  # noqa: F401
from .gates import GATES

__all__ = ["GATES"]
