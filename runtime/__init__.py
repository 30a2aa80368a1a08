"""The Go runtime model. Importing runtime.api registers every runtime function written in Python."""
