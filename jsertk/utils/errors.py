"""The project's exception classes for known user errors.

A `JsertkError` is bad input the user can fix (a data file, a config key, a missing or damaged
file); the CLI prints its message in one line and exits 1. Anything else is a bug and keeps its
traceback. The classes also derive from ValueError so that library callers can catch them as
such.
"""
from __future__ import annotations


class JsertkError(ValueError):
    """A known user error; the message names the file, line, utterance or config key."""


class ConfigError(JsertkError):
    """A config key that is unknown, of the wrong type or out of range."""


class InputError(JsertkError):
    """A file or directory given to a command that is missing or unusable."""


class OutputError(JsertkError):
    """An output that cannot be written (full disk, read-only or forbidden dir); nothing partial is left."""
