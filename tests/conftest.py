"""Shared test setup: a private assembler cache so tests never read a stale user cache, and
hypothesis with a fixed seed (the default suite draws the same examples on every run; the fuzz
campaigns behind `-m fuzz` ask for fresh ones)."""

import atexit
import os
import shutil
import tempfile

from hypothesis import settings

settings.register_profile("goemu", derandomize=True, database=None)
settings.load_profile("goemu")

if "GOEMU_CACHE" not in os.environ:
    _dir = tempfile.mkdtemp(prefix="goemu-test-cache-")
    atexit.register(shutil.rmtree, _dir, ignore_errors=True)
    os.environ["GOEMU_CACHE"] = _dir
