"""A content-keyed cache of assembled Objects, so repeated runs skip the assembler.

The key covers the assembler's own source, the options, and the file's text; an entry also
records every file the preprocessor read (#include), each with its hash, and is used only while
they are unchanged. Entries live in $GOEMU_CACHE (default ~/.cache/goemu/asm); GOEMU_CACHE=off
disables the cache. A damaged entry is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path

from .assemble import Options, assemble_source
from .errors import AsmError, Pos, file_error
from .objfile import Object
from .preprocess import read_source

_VERSION = b"goemu-asm-cache/1"


@cache
def _assembler_digest() -> bytes:
    h = hashlib.sha256(_VERSION)
    root = Path(__file__).parent
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".h"):
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.digest()


def cache_dir() -> Path | None:
    env = os.environ.get("GOEMU_CACHE")
    if env == "off":
        return None
    return Path(env) if env else Path.home() / ".cache" / "goemu" / "asm"


def _file_hash(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _key(path: str, text: str, opts: Options) -> str:
    h = hashlib.sha256(_assembler_digest())
    parts = [path, text, opts.pkg, repr(sorted(opts.defines.items())), repr(opts.include_dirs),
             repr(sorted(opts.headers.items()))]  # fmt: skip
    for part in parts:
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()


def assemble_text(path: str, text: str, opts: Options | None = None) -> Object:
    """assemble_source through the cache."""
    opts = opts or Options()
    d = cache_dir()
    if d is None:
        return assemble_source(text, path, opts)
    entry = d / (_key(path, text, opts) + ".pickle")
    try:
        with open(entry, "rb") as f:
            deps, obj = pickle.load(f)
        if all(_file_hash(p) == h for p, h in deps):
            return obj
    except Exception:  # a missing, stale or damaged entry: assemble afresh
        pass
    obj = assemble_source(text, path, opts)
    deps = [(p, _file_hash(p)) for p in obj.files if p != path and os.path.exists(p)]
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=d, delete=False) as f:
            pickle.dump((deps, obj), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, entry)
    except OSError:
        pass  # a read-only cache directory only costs speed
    return obj


def assemble_file(path: str, opts: Options | None = None) -> Object:
    try:
        text = read_source(path)
    except (OSError, ValueError) as e:
        raise AsmError(file_error(path, e), Pos(path, 0)) from None
    return assemble_text(path, text, opts)
