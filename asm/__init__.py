"""Go's Plan 9 amd64 assembler: preprocessor, lexer, parser, amd64 arch layer, linker, listings.

Imports nothing of emu/ or runtime/. The entry points:
    assemble_source(text, path, options) -> Object     one file
    link(objects, externals) -> Image                    several objects into one image
"""

from .assemble import Options, assemble_file, assemble_source
from .errors import AsmError, Pos
from .link import Image, link

__all__ = ["AsmError", "Image", "Options", "Pos", "assemble_file", "assemble_source", "link"]
