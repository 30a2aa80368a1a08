"""Shared test setup: a private assembler cache so tests never read a stale user cache."""

import atexit
import os
import shutil
import tempfile

if "GOEMU_CACHE" not in os.environ:
    _dir = tempfile.mkdtemp(prefix="goemu-test-cache-")
    atexit.register(shutil.rmtree, _dir, ignore_errors=True)
    os.environ["GOEMU_CACHE"] = _dir
