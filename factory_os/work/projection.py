"""Folded ledger state, kept between runs: a replay that costs only what is new.

The queue, the overrides and the sweep are folds of the ledger's entries in
replay order. With tens of thousands of entries, replaying them all on every
`fos escalate list` costs seconds; this module keeps each fold's result under
the git directory (`<git dir>/fos/projection-<name>.marshal`), keyed on the
segments' stat signatures, and

- returns it as it is while no segment changed;
- folds in only the new lines when the segments only grew and every new entry
  descends from all the entries folded before (each append names every head it
  saw, so that is what one clone's appends look like): such an entry comes
  after all of them in replay order, so folding it last is a replay;
- replays everything otherwise (a merge brought another branch's entries, a
  segment was rewritten, the cache is gone or from another version).

The ledger stays the only store: the cache is a copy that is thrown away, never
read by anything but this module, and never trusted past a change it cannot
account for.
"""

from __future__ import annotations

import marshal
import os
import secrets
from pathlib import Path
from typing import Any, TypeVar

from factory_os import __version__, atomic
from factory_os.ledger import events, segments
from factory_os.ledger.events import entry_from_fields
from factory_os.ledger.line import Envelope, parse_envelope, parse_full
from factory_os.store import Factory
from factory_os.work import replay
from factory_os.work.replay import Projection as Projection  # where it was first defined

T = TypeVar("T")
FORMAT = f"1/{__version__}"
Stats = dict[str, tuple[int, int, int]]  # segment name -> (inode, size, mtime in ns)


def state(factory: Factory, projection: Projection[T], *, settled: bool = True) -> dict[str, T]:
    """PROJECTION's fold of the work tree's ledger; without SETTLED, only the values
    that are not final (the open escalations, the overrides still to lapse)."""
    files = _Files(segments.state_dir(factory) / f"projection-{projection.name}")
    stats = _stats(factory)
    cached = _read(files.open)
    if cached is not None:
        found = {key: projection.load(value) for key, value in cached["open"].items()}
        token = cached["token"]
        if cached["stats"] != stats:
            grown = _grown(factory, cached["stats"], stats)
            heads = [] if grown is None else _fold_new(projection, found, grown, cached["heads"])
            done = {key: value for key, value in found.items() if projection.final(value)}
            kept = _read_settled(files, token) if done or settled else {}
            if not heads or kept is None:
                return _replay(factory, projection, files, stats, settled)
            if done:
                kept.update({key: projection.dump(value) for key, value in done.items()})
                token = _write_settled(files, kept)
                found = {key: value for key, value in found.items() if key not in done}
            _write_open(projection, files, stats, heads, token, found)
        else:
            kept = _read_settled(files, token) if settled else {}
            if kept is None:
                return _replay(factory, projection, files, stats, settled)
        if settled:
            return {**{key: projection.load(value) for key, value in kept.items()}, **found}
        return found
    return _replay(factory, projection, files, stats, settled)


class _Files:
    def __init__(self, base: Path) -> None:
        self.open = base.with_name(base.name + ".marshal")
        self.settled = base.with_name(base.name + "-settled.marshal")


def _replay(
    factory: Factory, projection: Projection[T], files: _Files, stats: Stats, settled: bool
) -> dict[str, T]:
    heads = events.heads(factory)
    found = projection.fold(replay.select(factory, projection.kinds), {})
    done = {key for key, value in found.items() if projection.final(value)}
    token = _write_settled(files, {key: projection.dump(found[key]) for key in done})
    still = {key: value for key, value in found.items() if key not in done}
    _write_open(projection, files, stats, heads, token, still)
    return found if settled else still


def _read_settled(files: _Files, token: str) -> dict[str, Any] | None:
    """The settled values written with TOKEN; None when the file is not that one."""
    kept = _read(files.settled)
    if kept is None or kept.get("token") != token:
        return None
    return dict(kept["settled"])


def _write_settled(files: _Files, kept: dict[str, Any]) -> str:
    token = secrets.token_hex(8)
    _write(files.settled, {"format": FORMAT, "token": token, "settled": kept})
    return token


def _write_open(
    projection: Projection[T],
    files: _Files,
    stats: Stats,
    heads: list[str],
    token: str,
    found: dict[str, T],
) -> None:
    values = {key: projection.dump(value) for key, value in found.items()}
    _write(
        files.open,
        {"format": FORMAT, "stats": stats, "heads": heads, "token": token, "open": values},
    )


def _stats(factory: Factory) -> Stats:
    directory = segments.ledger_dir(factory)
    found: Stats = {}
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return found
    for name in names:
        if name.endswith(".jsonl"):
            try:
                st = os.stat(directory / name)
            except OSError:
                continue
            found[name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return found


def _grown(factory: Factory, before: Stats, now: Stats) -> list[bytes] | None:
    """The lines appended since BEFORE, segment by segment; None when a segment
    shrank, vanished or was replaced, or what was read before did not end a line."""
    directory = segments.ledger_dir(factory)
    lines: list[bytes] = []
    for name, (inode, size, _mtime) in sorted(now.items()):
        old = before.get(name)
        start = 0
        if old is not None:
            if old[0] != inode or old[1] > size:
                return None
            start = old[1]
        if start == size:
            continue
        with open(directory / name, "rb") as f:
            if start:
                f.seek(start - 1)
                if f.read(1) != b"\n":
                    return None
            data = f.read(size - start)
        lines += data.split(b"\n")[:-1]  # a line not ended yet waits for the next run
    if any(name not in now for name in before):
        return None
    return lines


def _fold_new(
    projection: Projection[T], found: dict[str, T], lines: list[bytes], heads: list[str]
) -> list[str]:
    """Fold LINES into FOUND if each descends from all entries before it; return the
    new heads, or [] when a line does not (FOUND is then only partly folded)."""
    known = set(heads)
    for raw in lines:
        envelope = parse_envelope(raw)
        if not isinstance(envelope, Envelope):
            return []
        parents = {p.decode("ascii") for p in envelope.parents}
        if not known <= parents:
            return []
        ident = envelope.id.decode("ascii")
        known = {ident}
        if envelope.kind.decode("ascii") not in projection.kinds:
            continue
        fields = parse_full(raw)
        if isinstance(fields, str):
            return []
        entry = entry_from_fields(ident, fields, "", 0)
        projection.fold([entry], found)
    return sorted(known)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        value = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        return None
    return value


def _write(path: Path, value: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_atomic(path, marshal.dumps(value))
    except (OSError, ValueError):
        pass  # a cache that cannot be written only costs time
