"""State from the ledger: the entries of some kinds, folded in replay order.

Everything in `work/` (work items and their gates, runs, escalations,
overrides) keeps no state of its own: it asks for the events of its kinds and
folds them, in the ledger's replay order (height, then id, as
`factory_os.ledger.events.entries` gives them), into what it needs to know.
This module is the one way to do that, shared by all of them:

    states = replay.fold(replay.select(factory, KINDS), step, {})

`select` reads the work tree's ledger; `fold` and `by_subject` work on any
sequence of entries already in replay order, so the pull-request check can
replay a base's entries followed by the ones a range adds with the same code.
`Base` is that base: the ledger a commit holds, replayed once for every check
of a change (the lifecycle's and the runs'), and kept under the git directory
keyed on the segments' blob ids, so a base seen before costs one `ls-tree`.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from factory_os import __version__
from factory_os.git import plumbing as git
from factory_os.ledger import dag
from factory_os.ledger.entry import Entry, entry_from_fields
from factory_os.paths import LEDGER_DIR, is_segment

if TYPE_CHECKING:
    from factory_os.store import Factory

# (`ledger.events`, which reads the work tree's segments, is imported where it is used:
# a check on a base replayed before needs only what this imports)

State = TypeVar("State")
T = TypeVar("T")
BASE_CACHE = "base-replay"  # a directory: one file per base, the latest few kept
KEPT_BASES = 4  # a CI runner or a clone checks pull requests on a few bases at a time
BASE_FORMAT = f"1/{__version__}"


class Projection(Generic[T]):
    """A fold over the entries of KINDS, and how its values are kept (plain data).

    A value FINAL says is settled (a resolved escalation, a revoked override): the
    fold changes it no more, so it is kept apart and read only by those who ask
    (`work.projection`)."""

    def __init__(
        self,
        name: str,
        kinds: frozenset[str],
        fold: Callable[[Iterable[Entry], dict[str, T]], dict[str, T]],
        dump: Callable[[T], Any],
        load: Callable[[Any], T],
        final: Callable[[T], bool] = lambda _value: False,
    ) -> None:
        self.name = name
        self.kinds = kinds
        self.fold = fold
        self.dump = dump
        self.load = load
        self.final = final


def select(factory: Factory, kinds: Collection[str]) -> list[Entry]:
    """The entries of KINDS in the work tree's ledger, in replay order; only these are parsed."""
    from factory_os.ledger import events

    return events.entries(factory, kinds)


def of_kinds(entries: Iterable[Entry], kinds: Collection[str]) -> list[Entry]:
    """The entries of ENTRIES whose kind is one of KINDS, order kept."""
    wanted = frozenset(kinds)
    return [entry for entry in entries if entry.kind in wanted]


def fold(entries: Iterable[Entry], step: Callable[[State, Entry], State], state: State) -> State:
    """STATE after STEP has seen each entry in turn: `step(state, entry) -> state`."""
    for entry in entries:
        state = step(state, entry)
    return state


def by_subject(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """ENTRIES grouped by subject (the id they concern), each group in the order given."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.subject, []).append(entry)
    return groups


class Base:
    """The ledger as the commit COMMIT holds it (None: no base, an empty ledger), replayed
    once for the checks of a change: the height of each entry (to place what the change
    adds) and the folds of PROJECTIONS, each value loaded only when asked for. Kept in
    CACHE_DIR under the segments' blob ids: a blob id names exact content, so what is
    kept never goes stale. DOCUMENTS (factory-relative paths) are looked up in the same
    `ls-tree`: `blobs` holds the blob id of those the commit has."""

    def __init__(
        self,
        worktree: Path,
        commit: str | None,
        projections: Sequence[Projection[Any]],
        *,
        prefix: str = "",
        cache_dir: Path | None = None,
        documents: Sequence[str] = (),
    ) -> None:
        self.heights: dict[str, int] = {}
        self.blobs: dict[str, str] = {}
        self._kept: dict[str, Any] = {}
        self._folds: dict[str, dict[str, bytes]] = {p.name: {} for p in projections}
        self._dir = None if cache_dir is None else cache_dir / "factory-os" / BASE_CACHE
        self._key: str | None = None  # None: nothing to keep (no base)
        self._dirty = False
        if commit is None:
            return
        wanted = [prefix + LEDGER_DIR, *(prefix + d for d in documents)]
        segments = {}
        for path, blob in git.tree_entries(worktree, commit, wanted).items():
            rel = path[len(prefix) :]
            if is_segment(rel):
                segments[rel] = blob
            elif rel in documents:
                self.blobs[rel] = blob
        listing = "".join(f"{rel} {blob}\n" for rel, blob in sorted(segments.items()))
        key = hashlib.sha256(listing.encode("utf-8")).hexdigest()
        if self._load(key) and all(p.name in self._folds for p in projections):
            return
        from factory_os.ledger import events

        data = git.cat_blobs(worktree, list(segments.values()))
        contents = {rel: data.get(blob, b"") for rel, blob in segments.items()}
        kinds = {kind for p in projections for kind in p.kinds}
        entries, self.heights = events.placed_of(contents, kinds)
        for p in projections:
            state = p.fold(of_kinds(entries, p.kinds), {})
            self._folds[p.name] = {k: marshal.dumps(p.dump(v)) for k, v in state.items()}
        self._key = key
        self._dirty = True

    def state(
        self, projection: Projection[T], wanted: Callable[[str], bool] | None = None
    ) -> dict[str, T]:
        """PROJECTION's fold of the base, or only the values whose subject WANTED accepts
        (a fresh copy: the caller may fold onto it)."""
        folded = self._folds[projection.name]
        return {
            subject: projection.load(marshal.loads(value))
            for subject, value in folded.items()
            if wanted is None or wanted(subject)
        }

    def subjects(self, projection: Projection[Any]) -> list[str]:
        return list(self._folds[projection.name])

    def kept(self, name: str, compute: Callable[[], Any]) -> Any:
        """What COMPUTE returns (plain data), kept with the base under NAME (a name that
        says what it was computed from)."""
        if name not in self._kept:
            self._kept[name] = compute()
            self._dirty = True
        return self._kept[name]

    def place(self, added: Iterable[tuple[str, dict[str, Any], str, int]]) -> list[Entry]:
        """ADDED (id, parsed fields, segment, line), entries not in the base, placed on
        it: in replay order (height, then id), an entry already in the base left out."""
        fresh = {}
        for ident, fields, segment, line in added:
            if ident not in self.heights and ident not in fresh:
                fresh[ident] = (fields, segment, line)
        parents = {ident: tuple(fields["parents"]) for ident, (fields, _, _) in fresh.items()}
        heights = dict(self.heights)
        placed = dag.place(parents, heights, ignore_missing=True).heights
        last = max(heights.values(), default=-1) + 1
        out = [
            entry_from_fields(ident, fields, segment, line, placed.get(ident, last))
            for ident, (fields, segment, line) in fresh.items()
        ]
        return sorted(out, key=lambda e: (e.height, e.id))

    def _load(self, key: str) -> bool:
        self._key = key
        if self._dir is None:
            return False
        try:
            data = marshal.loads((self._dir / f"{key}.marshal").read_bytes())
        except (OSError, ValueError, EOFError, TypeError):  # gone, torn or foreign
            return False
        if not isinstance(data, dict) or data.get("format") != BASE_FORMAT:
            return False
        self.heights, self._folds, self._kept = data["heights"], data["folds"], data["kept"]
        return True

    def save(self) -> None:
        """Keep what was replayed and computed, for the next check on the same base."""
        if not self._dirty or self._dir is None or self._key is None:
            return
        payload = {"format": BASE_FORMAT, "heights": self.heights, "folds": self._folds,
                   "kept": self._kept}  # fmt: skip
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            tmp = self._dir / f".{self._key}.{os.getpid()}.tmp"
            tmp.write_bytes(marshal.dumps(payload))
            os.replace(tmp, self._dir / f"{self._key}.marshal")
            kept = sorted(self._dir.glob("*.marshal"), key=lambda p: p.stat().st_mtime_ns)
            for old in kept[:-KEPT_BASES]:
                old.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass  # a cache that cannot be written is only slower
        self._dirty = False
