"""The flags of TEXT, DATA and GLOBL (Go 1.19's runtime/textflag.h): the values the built-in
textflag.h defines, named once for every pass that tests them."""

from __future__ import annotations

NOPROF, DUPOK, NOSPLIT, RODATA, NOPTR, WRAPPER, NEEDCTXT = 1, 2, 4, 8, 16, 32, 64
TLSBSS, NOFRAME, REFLECTMETHOD, TOPFRAME, ABIWRAPPER = 256, 512, 1024, 2048, 4096
TEXT_FLAGS = {
    NOPROF: "NOPROF", DUPOK: "DUPOK", NOSPLIT: "NOSPLIT", RODATA: "RODATA", NOPTR: "NOPTR",
    WRAPPER: "WRAPPER", NEEDCTXT: "NEEDCTXT", TLSBSS: "TLSBSS", NOFRAME: "NOFRAME",
    REFLECTMETHOD: "REFLECTMETHOD", TOPFRAME: "TOPFRAME", ABIWRAPPER: "ABIWRAPPER",
}  # fmt: skip
