"""An incident grows only as the ledger says: each addition at its end is one
`incident.extended` entry naming the file's sha256 before and after it
(`events.record_growth`, which `fos rule add --from-incident` writes through).

`accounted` says whether such entries take a file from one digest to another, for
`fos verify` (the work tree and the history walk) and the `append-only` rule
alike. A growth no entry accounts for was made by hand. Loaded only when an
incident has grown: it parses ledger lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from factory_os.ledger.line import parse_full

KIND = "incident.extended"
MARK = f'"kind":"{KIND}"'
UNACCOUNTED = (
    f"grew without an {KIND} entry (an incident is added to only by"
    " `fos rule add --from-incident`, which records each addition)"
)

Steps = dict[str, dict[str, list[str]]]  # path -> sha256 before -> the sha256s after


def steps_in(lines: Iterable[bytes]) -> Steps:
    """The growths the `incident.extended` entries among LINES (whole ledger lines)
    record, by path."""
    mark = MARK.encode("ascii")
    steps: Steps = {}
    for line in lines:
        if mark not in line:
            continue
        fields = parse_full(line.rstrip(b"\n"))
        if not isinstance(fields, dict) or fields["kind"] != KIND:
            continue
        data = fields["data"]
        path, before, after = data.get("path"), data.get("prior_sha256"), data.get("sha256")
        if isinstance(path, str) and isinstance(before, str) and isinstance(after, str):
            steps.setdefault(path, {}).setdefault(before, []).append(after)
    return steps


def steps_on_disk(segments: Iterable[Path]) -> Steps:
    """The growths the segment files SEGMENTS record."""
    lines: list[bytes] = []
    mark = MARK.encode("ascii")
    for segment in segments:
        try:
            data = segment.read_bytes()
        except OSError:
            continue  # verify reports an unreadable segment itself
        if mark in data:
            lines += data.split(b"\n")
    return steps_in(lines)


def accounted(steps: Steps, path: str, before: str, after: str) -> bool:
    """Whether the entries of STEPS take PATH from the sha256 BEFORE to AFTER."""
    if before == after:
        return True
    known = steps.get(path, {})
    seen, todo = {before}, [before]
    while todo:
        for following in known.get(todo.pop(), ()):
            if following == after:
                return True
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return False
