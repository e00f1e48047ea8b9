"""The runs, folded once and kept up to date: what `fos run` reads without replaying
the whole ledger every time.

Under `<git dir>/fos/`: `runs-index.json` holds a `SegmentMark` per segment, the
ledger's heads when it was written, and per run its list row, its telemetry
tally (`runtally`) and the id of the last entry applied to it; `runs-index/
<run>.json` holds each run's fold (`runstate.to_json`) with that same id, so a
run file and the index that do not agree are never mixed.

It is a cache, never a second record: whatever does not plainly follow from it
is rebuilt from the ledger. What follows plainly is the common case, lines
appended to one segment on top of the heads the index saw, each naming the one
before: those lines are then the next in replay order, and only they are read
and applied, to the runs they concern. Anything else (a merge brought another
segment, a segment changed in place, an index from another version) is a full
replay, under the ledger's lock so that no append falls between the replay and
the marks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from factory_os.ledger import events, segments
from factory_os.ledger.events import Entry, entry_from_fields
from factory_os.ledger.line import Envelope, parse_envelope, parse_full
from factory_os.store import Factory
from factory_os.work import replay, runtally
from factory_os.work.runstate import (
    ESCALATION_KINDS,
    KINDS,
    RunState,
    apply,
    fold,
    from_json,
    step_escalation,
    to_json,
)

NAME = "runs-index.json"
RUNS_DIR = "runs-index"
VERSION = 2
_KINDS = frozenset(kind.encode("ascii") for kind in KINDS)

Index = dict[str, Any]


def summaries(factory: Factory) -> dict[str, dict[str, Any]]:
    """run id -> {"row", "tally", "last"} for every run of the ledger."""
    index: dict[str, dict[str, Any]] = _current(factory)["runs"]
    return index


def run(factory: Factory, run_id: str) -> RunState | None:
    """One run as the ledger tells it, or None when it has never started."""
    for attempt in range(2):
        index = _current(factory, rebuild=attempt == 1)
        known = index["runs"].get(run_id)
        if known is None:
            return None
        loaded = _load_run(factory, run_id, known["last"])
        if loaded is not None:
            return loaded
    return None


def runs(factory: Factory) -> dict[str, RunState]:
    """Every run of the ledger, by id."""
    found = {}
    for run_id in summaries(factory):
        state = run(factory, run_id)
        if state is not None:
            found[run_id] = state
    return found


# -- the index ------------------------------------------------------------------


def _paths(factory: Factory) -> tuple[Path, Path]:
    state = segments.state_dir(factory)
    return state / NAME, state / RUNS_DIR


def _current(factory: Factory, *, rebuild: bool = False) -> Index:
    path, _ = _paths(factory)
    index = None if rebuild else _read(path)
    if index is not None:
        index = _bring_up_to_date(factory, index)
    return index if index is not None else _rebuild(factory)


def _read(path: Path) -> Index | None:
    index = segments.read_json(path)
    if index is None or index.get("v") != VERSION or not isinstance(index.get("runs"), dict):
        return None
    marks = {}
    for name, value in (index.get("marks") or {}).items():
        mark = segments.SegmentMark.from_json(value)
        if mark is None:
            return None
        marks[name] = mark
    try:
        index["written_ns"] = os.stat(path).st_mtime_ns
    except OSError:
        return None
    index["marks"] = marks
    return index


def _load_run(factory: Factory, run_id: str, last: str) -> RunState | None:
    _, directory = _paths(factory)
    stored = segments.read_json(directory / f"{run_id}.json")
    if stored is None or stored.get("last") != last:
        return None
    try:
        return from_json(stored["state"])
    except (TypeError, ValueError, KeyError):
        return None


def _bring_up_to_date(factory: Factory, index: Index) -> Index | None:
    marks = index["marks"]
    steps = segments.plan(factory, marks, written_ns=index["written_ns"])
    if steps is None:
        return None
    pending = list(steps)
    if not pending:
        return index
    if len(pending) != 1 or pending[0][1] == 0:
        return None
    segment, offset, first = pending[0]
    chunk = segments.read_from(segment, offset, first)
    expected = sorted(index.get("heads") or [])
    rel = factory.rel(segment)
    added: list[Entry] = []
    for number, raw in enumerate(chunk.lines, start=first):
        envelope = parse_envelope(raw)
        if not isinstance(envelope, Envelope):
            return None
        if sorted(p.decode("ascii") for p in envelope.parents) != expected:
            return None  # not on top of everything seen: the replay order may differ
        ident = envelope.id.decode("ascii")
        expected = [ident]
        if envelope.kind in _KINDS:
            fields = parse_full(raw)
            if isinstance(fields, str):
                return None
            added.append(entry_from_fields(ident, fields, rel, number))
    touched = _apply(factory, index, added)
    if touched is None:
        return None
    marks[chunk.name] = chunk.mark
    index["heads"] = expected
    _write(factory, index, touched)
    return index


def _apply(factory: Factory, index: Index, added: list[Entry]) -> dict[str, RunState] | None:
    """Apply ADDED to the runs they concern; return those runs (None: load failed)."""
    owners: dict[str, str] = index.setdefault("owners", {})
    touched: dict[str, RunState] = {}
    for entry in added:
        subject = entry.subject
        if entry.kind in ESCALATION_KINDS and entry.kind != "escalation.opened":
            ident = entry.data.get("id") if isinstance(entry.data.get("id"), str) else subject
            subject = owners.get(str(ident), "")
        if subject not in touched:
            known = index["runs"].get(subject)
            if known is not None:
                loaded = _load_run(factory, subject, known["last"])
                if loaded is None:
                    return None
                touched[subject] = loaded
        if entry.kind == "run.started":
            if subject not in touched:
                touched.update(fold([entry]))
        elif entry.kind in ESCALATION_KINDS:
            step_escalation(touched, entry, owners)
        elif subject in touched:
            apply(touched[subject], entry)
        if subject in touched:
            index["runs"][subject] = {"last": entry.id}
    return touched


def _rebuild(factory: Factory) -> Index:
    with events.locked(factory):
        marks = {}
        for segment in segments.segment_paths(factory):
            with segment.open("rb") as f:
                st = os.fstat(f.fileno())
                data = f.read()
            end = data.rfind(b"\n") + 1
            marks[segment.name] = segments.make_mark(segment, st, end, data[:end].count(b"\n"))
        entries = replay.select(factory, KINDS)
        heads = events.heads(factory)
    found = fold(entries)
    last: dict[str, str] = {}
    owners = {e.id: r.id for r in found.values() for e in r.escalations}
    for entry in entries:
        owner = entry.subject if entry.subject in found else owners.get(entry.subject)
        if owner is None and isinstance(entry.data.get("id"), str):
            owner = owners.get(entry.data["id"])
        if owner is not None:
            last[owner] = entry.id
    index: Index = {
        "v": VERSION,
        "marks": marks,
        "heads": heads,
        "owners": owners,
        "runs": {run_id: {"last": last.get(run_id, "")} for run_id in found},
    }
    _write(factory, index, found)
    return index


def _write(factory: Factory, index: Index, changed: dict[str, RunState]) -> None:
    """Write the runs CHANGED, then the index that names their last entries."""
    path, directory = _paths(factory)
    for run_id, state in changed.items():
        known = index["runs"][run_id]
        known["row"] = runtally.row(state)
        known["tally"] = runtally.tally(state)
    written = {k: v for k, v in index.items() if k != "written_ns"}
    written["marks"] = {name: mark.to_json() for name, mark in index["marks"].items()}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for run_id, state in changed.items():
            payload = {"last": index["runs"][run_id]["last"], "state": to_json(state)}
            (directory / f"{run_id}.json").write_text(json.dumps(payload), encoding="utf-8")
        segments.write_json(path, written)
    except OSError:
        pass  # an index that cannot be written is rebuilt next time
