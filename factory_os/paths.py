"""Where things are in a factory, said once: the `.factory/` directory, the ledger's
segments, and the append-only files.

Paths are relative to the factory root (the directory that holds `.factory/`), with
slashes, as git names them. Imports nothing: the hook path reads these too.
"""

from __future__ import annotations

FACTORY_DIR = ".factory"
RULES_DIR = f"{FACTORY_DIR}/rules"
INCIDENTS_DIR = f"{FACTORY_DIR}/incidents"
DIGESTS_DIR = f"{FACTORY_DIR}/digests"
LEDGER_DIR = f"{FACTORY_DIR}/ledger"
SPECS_DIR = f"{FACTORY_DIR}/specs"
SEGMENT_SUFFIX = ".jsonl"

# Append-only governance files: once written, recorded in the ledger with their
# sha256 and never changed. Directory -> the ending of the files it holds.
APPEND_ONLY = {RULES_DIR: ".yaml", INCIDENTS_DIR: ".md", DIGESTS_DIR: ".md"}


def is_append_only(path: str) -> bool:
    """Whether PATH is an append-only file (directly in one of APPEND_ONLY's directories)."""
    directory, _, name = path.rpartition("/")
    ending = APPEND_ONLY.get(directory)
    return ending is not None and name.endswith(ending)


def may_grow(path: str) -> bool:
    """Whether PATH is an append-only file that may grow: an incident, to which later
    sections (the rules it led to) are added. The old content stays a prefix of the new."""
    directory, _, name = path.rpartition("/")
    return directory == INCIDENTS_DIR and name.endswith(".md")


def grew(old: bytes, new: bytes) -> bool:
    """Whether NEW only adds to OLD: OLD is a prefix of NEW."""
    return new.startswith(old)


def is_segment(path: str) -> bool:
    """Whether PATH is a ledger segment."""
    directory, _, name = path.rpartition("/")
    return directory == LEDGER_DIR and name.endswith(SEGMENT_SUFFIX)
