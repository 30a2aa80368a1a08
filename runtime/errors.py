"""How the runtime ends a program in Go's words: the emulator prints these and exits with 2."""


class Throw(Exception):
    """A runtime `throw`: printed as `fatal error: <msg>`, exit status 2; with g, the traceback of
    that goroutine (where it stood when the runtime threw) follows."""

    def __init__(self, msg: str, g: int = 0) -> None:
        super().__init__(msg)
        self.g = g


class GoPanic(Exception):
    """A run-time panic raised by the runtime for the calling goroutine (`panic: <msg>`)."""


class Deadlock(Throw):
    """checkdead: no goroutine can run and none will be woken."""

    def __init__(self) -> None:
        super().__init__("all goroutines are asleep - deadlock!")


class LimitReached(Exception):
    """A limit of the run that goemu sets (--max-goroutines, --max-output), not Go: the emulator
    stops the program and says which (`goemu: stopped after --max-goroutines 1000 (pc=...)`)."""
