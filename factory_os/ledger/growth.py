"""A committed ledger segment may only grow: the one test of that, for `fos verify
--history` and the `append-only` rule alike.

Growing means gaining whole lines. Every line of the old content must be in the
new, byte for byte, and still be one line: an old last line without its newline
(an entry whose newline was lost) may get it back, but anything else glued onto
it changes that line. On the hook path: it imports nothing.
"""

from __future__ import annotations


def lost_line(old: bytes, new: bytes) -> int | None:
    """None when NEW is OLD plus whole lines; else the number of the first line of
    OLD that NEW does not keep as it was."""
    if new.startswith(old) and (not old or old[-1] == 0x0A or new[len(old)] == 0x0A):
        return None
    old_lines = _lines(old)
    new_lines = _lines(new)
    for number, line in enumerate(old_lines, start=1):
        if number > len(new_lines) or new_lines[number - 1] != line:
            return number
    raise AssertionError("unreachable: OLD's lines all kept means NEW starts with OLD")


def _lines(data: bytes) -> list[bytes]:
    """DATA's lines with their newlines (the last may have none); only \\n ends one."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines
