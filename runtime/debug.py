"""GODEBUG, read as Go 1.19's parsedebugvars does (runtime1.go): comma-separated name=value
pairs; unknown names, and values that are not decimal integers, are ignored."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class DebugVars:
    """The GODEBUG settings goemu's runtime acts on (Go's `debug` variable)."""

    asyncpreemptoff: int = 0  # no asynchronous preemption (SIGURG): only prologue checks preempt
    schedtrace: int = 0  # sysmon prints a schedtrace line every this many milliseconds
    scheddetail: int = 0


def parsedebugvars(godebug: str) -> DebugVars:
    out = DebugVars()
    known = {f.name for f in fields(DebugVars)}
    for item in godebug.split(","):
        key, sep, value = item.partition("=")
        if not sep or key not in known:
            continue
        digits = value[1:] if value[:1] == "-" else value
        if digits.isdigit():
            setattr(out, key, int(value))
    return out
