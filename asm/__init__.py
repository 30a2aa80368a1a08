"""Go's Plan 9 amd64 assembler: preprocessor, lexer, parser, amd64 arch layer, linker, listings.

Imports nothing of emu/ or runtime/. The entry points:
    assemble_source(text, path, options) -> Object     one file
    assemble_file(path, options) -> Object             one file, through the content-keyed cache
    link(objects, externals) -> Image                    several objects into one image
"""

from .assemble import Options, assemble_source
from .cache import assemble_file
from .errors import AsmError, Pos
from .link import Image, link
from .objfile import Object

__all__ = ["AsmError", "Image", "Object", "Options", "Pos", "assemble_file", "assemble_source", "link"]
