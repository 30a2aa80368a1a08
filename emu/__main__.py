"""`python -m emu` is the goemu command."""

import sys

from .cli import main

sys.exit(main())
