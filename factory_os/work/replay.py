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
from typing import TYPE_CHECKING, Any, BinaryIO, Generic, TypeVar

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
BASE_FORMAT = f"2/{__version__}"


class Projection(Generic[T]):
    """A fold over the entries of KINDS, and how its values are kept (plain data).

    A value FINAL says is settled (a resolved escalation, a revoked override): the
    fold changes it no more, so it is kept apart and read only by those who ask
    (`work.projection`). FOLD folds onto the state it is given, so a kept state
    can be brought up to date with the entries that came after it; ONTO is False
    for a fold that cannot."""

    def __init__(
        self,
        name: str,
        kinds: frozenset[str],
        fold: Callable[[Iterable[Entry], dict[str, T]], dict[str, T]],
        dump: Callable[[T], Any],
        load: Callable[[Any], T],
        final: Callable[[T], bool] = lambda _value: False,
        *,
        onto: bool = True,
    ) -> None:
        self.name = name
        self.kinds = kinds
        self.fold = fold
        self.dump = dump
        self.load = load
        self.final = final
        self.onto = onto  # False: FOLD starts afresh whatever state it is given


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
    adds) and the folds of PROJECTIONS. Kept in CACHE_DIR under the segments' blob ids:
    a blob id names exact content, so what is kept never goes stale. DOCUMENTS
    (factory-relative paths) are looked up in the same `ls-tree`: `blobs` holds the blob
    id of those the commit has.

    A base kept before is read as a check needs it (`_Kept`): the heights of the entries
    a change names, the values of the subjects it concerns, what was computed from the
    base's documents. A check judging a hundred events on a ledger of thousands loads a
    hundred items, not the whole replay."""

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
        self.blobs: dict[str, str] = {}
        self.top = -1  # the highest height in the base (-1: an empty ledger)
        self._heights: dict[str, int] | None = {}  # every entry's; None: kept in buckets
        self._buckets: tuple[bytes, ...] | None = None
        self._opened: dict[int, dict[str, int]] = {}  # the buckets read so far
        # projection name (or KEPT) -> name -> its value as marshal bytes, or where it
        # is in the kept file
        self._values: dict[str, dict[str, bytes | tuple[int, int]]] = {
            p.name: {} for p in projections
        }
        self._values[_KEPT] = {}
        self._file: _Kept | None = None
        self._segments: dict[str, tuple[str, int, int]] = {}  # rel -> blob, bytes, lines
        self._missing: list[str] = []  # parents no entry of the base is
        self._carried: set[str] = set()  # kept values computed from documents only
        self._dir = None if cache_dir is None else cache_dir / "factory-os" / BASE_CACHE
        self._key: str | None = None  # None: nothing to keep (no base)
        self._dirty = False
        if commit is None:
            return
        segments = self._tree(worktree, commit, prefix, documents)
        listing = "".join(f"{rel} {blob}\n" for rel, blob in sorted(segments.items()))
        self._key = hashlib.sha256(listing.encode("utf-8")).hexdigest()
        if self._load() and all(p.name in self._values for p in projections):
            return
        self.close()
        if not self._grow(worktree, segments, projections):
            self._replay(worktree, segments, projections)
        self._dirty = True

    def _tree(
        self, worktree: Path, commit: str, prefix: str, documents: Sequence[str]
    ) -> dict[str, str]:
        """COMMIT's segments (rel -> blob id), and the blob ids of DOCUMENTS in `blobs`:
        one `ls-tree`, and none for a commit seen before (a commit names its tree, so
        what it holds never changes)."""
        name = f"{commit} {prefix} {' '.join(documents)}"
        trees = _read_trees(self._dir)
        found = trees.get(name)
        if found is None:
            wanted = [prefix + LEDGER_DIR, *(prefix + d for d in documents)]
            segments, blobs = {}, {}
            for path, blob in git.tree_entries(worktree, commit, wanted).items():
                rel = path[len(prefix) :]
                if is_segment(rel):
                    segments[rel] = blob
                elif rel in documents:
                    blobs[rel] = blob
            found = trees[name] = (segments, blobs)
            _write_trees(self._dir, trees)
        segments, blobs = found
        self.blobs = dict(blobs)
        return dict(segments)

    def _replay(
        self, worktree: Path, segments: dict[str, str], projections: Sequence[Projection[Any]]
    ) -> None:
        """Replay the base's whole ledger."""
        from factory_os.ledger import events
        from factory_os.ledger.line import Envelope, parse_envelope

        data = git.cat_blobs(worktree, list(segments.values()))
        contents = {rel: data.get(blob, b"") for rel, blob in segments.items()}
        kinds = {kind for p in projections for kind in p.kinds}
        entries, heights = events.placed_of(contents, kinds)
        self._heights, self._buckets, self._opened = heights, None, {}
        self.top = max(heights.values(), default=-1)
        self._values = {p.name: {} for p in projections}
        self._values[_KEPT] = {}
        for p in projections:
            state = p.fold(of_kinds(entries, p.kinds), {})
            self._values[p.name] = {k: marshal.dumps(p.dump(v)) for k, v in state.items()}
        missing: set[bytes] = set()
        for rel, content in contents.items():
            self._segments[rel] = (segments[rel], len(content), content.count(b"\n"))
            for raw in content.split(b"\n")[:-1]:
                envelope = parse_envelope(raw)
                if isinstance(envelope, Envelope):
                    missing.update(p for p in envelope.parents if p.decode("ascii") not in heights)
        self._missing = sorted(p.decode("ascii") for p in missing)

    def _grow(
        self, worktree: Path, segments: dict[str, str], projections: Sequence[Projection[Any]]
    ) -> bool:
        """Fold the base onto a base kept before whose ledger it only appends to (after a
        pull request is merged, the next ones rest on the ledger it grew): read the lines
        added since, place them on the kept heights and fold them onto the kept values.
        False, and nothing changed, where that would not be a replay: a segment was
        rewritten or lost, a kept value cannot be folded onto, an added line is no entry,
        names a parent the base had named and lacked, or does not come after every entry
        of the kept base in replay order."""
        previous = _grown_from(self._dir, segments, projections)
        if previous is None:
            return False
        kept, old = previous
        with kept:
            grown = _appended(worktree, segments, old["segments"])
            if grown is None:
                return False
            added, sizes = grown
            heights: dict[str, int] = {}
            for raw in marshal.loads(kept.read(*old["heights"])):
                heights.update(marshal.loads(raw))
            placed = _placed(added, heights, old["top"], set(old["missing"]), projections)
            if placed is None:
                return False
            fresh, missing = placed
            values: dict[str, dict[str, bytes | tuple[int, int]]] = {}
            for p in projections:
                entries = of_kinds(fresh, p.kinds)
                raws = {key: kept.read(*at) for key, at in old["values"][p.name].items()}
                if entries and not p.onto:
                    return False
                if entries:
                    state = {key: p.load(marshal.loads(raw)) for key, raw in raws.items()}
                    folded = p.fold(entries, state)
                    raws = {key: marshal.dumps(p.dump(value)) for key, value in folded.items()}
                values[p.name] = dict(raws)
            carried = [name for name in old["carried"] if name in old["values"][_KEPT]]
            values[_KEPT] = {name: kept.read(*old["values"][_KEPT][name]) for name in carried}
        self._heights, self._buckets, self._opened = heights, None, {}
        self.top = max(heights.values(), default=-1)
        self._values, self._segments = values, sizes
        self._missing, self._carried = sorted(set(old["missing"]) | missing), set(carried)
        return True

    def state(
        self, projection: Projection[T], wanted: Callable[[str], bool] | None = None
    ) -> dict[str, T]:
        """PROJECTION's fold of the base, or only the values whose subject WANTED accepts
        (a fresh copy: the caller may fold onto it)."""
        values = self._values[projection.name]
        return {
            subject: projection.load(marshal.loads(self._bytes(value)))
            for subject, value in values.items()
            if wanted is None or wanted(subject)
        }

    def subjects(self, projection: Projection[Any]) -> list[str]:
        return list(self._values[projection.name])

    def kept(self, name: str, compute: Callable[[], Any], *, carried: bool = False) -> Any:
        """What COMPUTE returns (plain data), kept with the base under NAME (a name that
        says what it was computed from). CARRIED: computed from documents only, never
        from the ledger (NAME says which documents, by blob id), so a base grown from
        this one (`_grow`) keeps it too."""
        kept = self._values[_KEPT]
        if carried:
            self._carried.add(name)
        if name in kept:
            return marshal.loads(self._bytes(kept[name]))
        value = compute()
        kept[name] = marshal.dumps(value)
        self._dirty = True
        return value

    def height(self, ident: str) -> int | None:
        """The height of the base's entry IDENT; None when the base has no such entry."""
        if self._heights is not None:
            return self._heights.get(ident)
        bucket = _bucket(ident)
        if bucket is None or self._buckets is None:
            return None
        heights = self._opened.get(bucket)
        if heights is None:
            heights = self._opened[bucket] = marshal.loads(self._buckets[bucket])
        return heights.get(ident)

    @property
    def heights(self) -> dict[str, int]:
        """The height of every entry of the base (all read: `height` reads one)."""
        if self._heights is None:
            found: dict[str, int] = {}
            for raw in self._buckets or ():
                found.update(marshal.loads(raw))
            self._heights = found
        return self._heights

    def place(self, added: Iterable[tuple[str, dict[str, Any], str, int]]) -> list[Entry]:
        """ADDED (id, parsed fields, segment, line), entries not in the base, placed on
        it: in replay order (height, then id), an entry already in the base left out."""
        fresh = {}
        for ident, fields, segment, line in added:
            if ident not in fresh and self.height(ident) is None:
                fresh[ident] = (fields, segment, line)
        parents = {ident: tuple(fields["parents"]) for ident, (fields, _, _) in fresh.items()}
        known = {}  # the heights of the base's entries that fresh ones name as parents
        for named in parents.values():
            for parent in named:
                if parent not in fresh and (height := self.height(parent)) is not None:
                    known[parent] = height
        placed = dag.place(parents, known, ignore_missing=True).heights
        last = max(self.top, max(placed.values(), default=-1)) + 1
        out = [
            entry_from_fields(ident, fields, segment, line, placed.get(ident, last))
            for ident, (fields, segment, line) in fresh.items()
        ]
        return sorted(out, key=lambda e: (e.height, e.id))

    def _bytes(self, value: bytes | tuple[int, int]) -> bytes:
        if isinstance(value, bytes):
            return value
        assert self._file is not None  # a place in the file is only known from it
        return self._file.read(*value)

    def _load(self) -> bool:
        if self._dir is None or self._key is None:
            return False
        kept = _Kept.open(self._dir / f"{self._key}{_SUFFIX}")
        if kept is None:
            return False
        self._file = kept
        header = kept.header
        self.top = header["top"]
        self._segments, self._missing = header["segments"], header["missing"]
        self._carried = set(header["carried"])
        self._heights, self._buckets = None, marshal.loads(kept.read(*header["heights"]))
        self._values = {name: dict(values) for name, values in header["values"].items()}
        return True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def save(self) -> None:
        """Keep what was replayed and computed, for the next check on the same base."""
        if not self._dirty or self._dir is None or self._key is None:
            return
        # everything in memory first: the file read so far is about to be replaced
        if self._buckets is None:
            self._buckets = _buckets_of(self.heights)
        self._values = {
            name: {key: self._bytes(value) for key, value in values.items()}
            for name, values in self._values.items()
        }
        self.close()
        self._dirty = False
        body: list[bytes] = []
        offset = 0

        def put(raw: bytes) -> tuple[int, int]:
            nonlocal offset
            body.append(raw)
            offset += len(raw)
            return offset - len(raw), len(raw)

        header = {
            "format": BASE_FORMAT,
            "top": self.top,
            "segments": self._segments,
            "missing": self._missing,
            "carried": sorted(self._carried),
            "heights": put(marshal.dumps(self._buckets)),
            "values": {
                name: {key: put(self._bytes(value)) for key, value in values.items()}
                for name, values in self._values.items()
            },
        }
        head = marshal.dumps(header)
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            tmp = self._dir / f".{self._key}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                f.write(_MAGIC + len(head).to_bytes(8, "little") + offset.to_bytes(8, "little"))
                f.write(head)
                f.writelines(body)
            os.replace(tmp, self._dir / f"{self._key}{_SUFFIX}")
            kept = sorted(self._dir.glob(f"[!.]*{_SUFFIX}"), key=lambda p: p.stat().st_mtime_ns)
            for old in [*kept[:-KEPT_BASES], *self._dir.glob("*.marshal")]:  # (and format 1's)
                old.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass  # a cache that cannot be written is only slower


_KEPT = "/kept"  # the values `Base.kept` computed (no projection's name has a slash)
_SUFFIX = ".base"
_MAGIC = b"fos-base"
_PREAMBLE = len(_MAGIC) + 16  # the magic, the header's length, the body's length
_BUCKETS = 4096  # heights are kept in buckets by the first three hex digits of an id
_HEX = frozenset("0123456789abcdef")


_TREES = "trees"  # commit -> its segments and documents (`Base._tree`)
KEPT_TREES = 256


def _read_trees(directory: Path | None) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    if directory is None:
        return {}
    try:
        trees = marshal.loads((directory / _TREES).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):  # none yet, torn or foreign
        return {}
    if not isinstance(trees, dict) or trees.get("format") != BASE_FORMAT:
        return {}
    found: dict[str, tuple[dict[str, str], dict[str, str]]] = trees["trees"]
    return found


def _write_trees(
    directory: Path | None, trees: dict[str, tuple[dict[str, str], dict[str, str]]]
) -> None:
    if directory is None:
        return
    kept = dict(list(trees.items())[-KEPT_TREES:])  # the latest
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{_TREES}.{os.getpid()}.tmp"
        tmp.write_bytes(marshal.dumps({"format": BASE_FORMAT, "trees": kept}))
        os.replace(tmp, directory / _TREES)
    except (OSError, ValueError):
        pass  # a cache that cannot be written is only slower


def _bucket(ident: str) -> int | None:
    head = ident[:3]
    return int(head, 16) if len(head) == 3 and set(head) <= _HEX else None


def _buckets_of(heights: dict[str, int]) -> tuple[bytes, ...]:
    buckets: list[dict[str, int]] = [{} for _ in range(_BUCKETS)]
    for ident, height in heights.items():
        bucket = _bucket(ident)
        if bucket is not None:  # (every id of a readable ledger is hex)
            buckets[bucket][ident] = height
    return tuple(marshal.dumps(b) for b in buckets)


class _Kept:
    """A base's kept file, open: its header read, each value read where it is when asked
    for. The file is the magic, the lengths of the header and of the body, the header
    (marshal: the format, the highest height, where each value is in the body) and the
    body (each value's marshal bytes, end to end). Written whole then renamed, so
    never seen half-written; a file of another format or length is not read."""

    def __init__(self, file: BinaryIO, header: dict[str, Any], body: int) -> None:
        self.file: BinaryIO | None = file
        self.header = header
        self.body = body  # where the body starts

    @classmethod
    def open(cls, path: Path) -> _Kept | None:
        try:
            file = open(path, "rb", buffering=0)  # noqa: SIM115 (kept open: read as asked)
        except OSError:
            return None
        try:
            preamble = file.read(_PREAMBLE)
            size = os.fstat(file.fileno()).st_size
            if len(preamble) != _PREAMBLE or not preamble.startswith(_MAGIC):
                raise ValueError("not a kept base")
            head = int.from_bytes(preamble[len(_MAGIC) : len(_MAGIC) + 8], "little")
            body = int.from_bytes(preamble[len(_MAGIC) + 8 :], "little")
            if size != _PREAMBLE + head + body:
                raise ValueError("torn")
            header = marshal.loads(file.read(head))
            if not isinstance(header, dict) or header.get("format") != BASE_FORMAT:
                raise ValueError("another format")
        except (OSError, ValueError, EOFError, TypeError):  # torn or foreign
            file.close()
            return None
        return cls(file, header, _PREAMBLE + head)

    def read(self, offset: int, length: int) -> bytes:
        assert self.file is not None
        self.file.seek(self.body + offset)
        return self.file.read(length)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def __enter__(self) -> _Kept:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def _grown_from(
    directory: Path | None, segments: dict[str, str], projections: Sequence[Projection[Any]]
) -> tuple[_Kept, dict[str, Any]] | None:
    """The kept base (open, and its header) SEGMENTS (rel -> blob) may have grown from:
    each of its segments is one of theirs, and it holds every projection's values. Of
    several, the one with the most bytes of ledger."""
    found: list[tuple[int, Path]] = []
    for path in directory.glob(f"[!.]*{_SUFFIX}") if directory is not None else ():
        kept = _Kept.open(path)
        if kept is None:
            continue
        with kept:
            header = kept.header
            olds = header["segments"]
            if all(p.name in header["values"] for p in projections) and all(
                rel in segments for rel in olds
            ):
                found.append((sum(size for _blob, size, _lines in olds.values()), path))
    for _size, path in sorted(found, reverse=True)[:1]:
        kept = _Kept.open(path)
        if kept is not None:
            return kept, kept.header
    return None


Appended = list[tuple[str, int, bytes]]  # segment, line number, the line


def _appended(
    worktree: Path, segments: dict[str, str], olds: dict[str, tuple[str, int, int]]
) -> tuple[Appended, dict[str, tuple[str, int, int]]] | None:
    """The lines SEGMENTS (rel -> blob) hold after those of OLDS (rel -> blob, bytes,
    lines), and SEGMENTS as OLDS says them; None when a segment of OLDS is not a
    prefix of the one of the same name, or did not end a line."""
    import hashlib

    changed = {rel: blob for rel, blob in segments.items() if olds.get(rel, ("",))[0] != blob}
    data = git.cat_blobs(worktree, list(changed.values()))
    added: Appended = []
    sizes = {rel: olds[rel] for rel in segments if rel not in changed}
    for rel, blob in sorted(changed.items()):
        content = data.get(blob)
        if content is None:
            return None
        old_blob, size, lines = olds.get(rel, ("", 0, 0))
        if size:
            prefix = content[:size]
            algorithm = "sha1" if len(old_blob) == 40 else "sha256"
            named = hashlib.new(algorithm, b"blob %d\0" % size + prefix).hexdigest()
            if len(prefix) != size or not prefix.endswith(b"\n") or named != old_blob:
                return None
        for number, raw in enumerate(content[size:].split(b"\n")[:-1], start=lines + 1):
            added.append((rel, number, raw))
        sizes[rel] = (blob, len(content), content.count(b"\n"))
    return added, sizes


def _placed(
    added: Appended,
    heights: dict[str, int],
    top: int,
    missing: set[str],
    projections: Sequence[Projection[Any]],
) -> tuple[list[Entry], set[str]] | None:
    """The entries of ADDED of the projections' kinds, placed on HEIGHTS (the kept base's,
    TOP the highest; every added entry's is added) in replay order, and the parents
    they name that no entry is; None unless each added line is an entry that comes
    after every entry of the kept base, and none is a parent it had named and lacked
    (MISSING: the kept base placed its children without it)."""
    from factory_os.ledger.line import Envelope, parse_envelope, parse_full

    frames = {}
    for rel, number, raw in added:
        envelope = parse_envelope(raw)
        if not isinstance(envelope, Envelope):
            return None
        ident = envelope.id.decode("ascii")
        if ident in heights or ident in frames or ident in missing:
            return None
        frames[ident] = (envelope, rel, number, raw)
    parents = {i: tuple(p.decode("ascii") for p in f[0].parents) for i, f in frames.items()}
    dag.place(parents, heights, ignore_missing=True)
    if any(heights.get(ident, -1) <= top for ident in frames):
        return None  # not placed (a cycle), or among the kept base's entries
    kinds = {kind for p in projections for kind in p.kinds}
    fresh = []
    for ident, (envelope, rel, number, raw) in frames.items():
        if envelope.kind.decode("ascii") in kinds:
            fields = parse_full(raw)
            if isinstance(fields, str):
                return None
            fresh.append(entry_from_fields(ident, fields, rel, number, heights[ident]))
    fresh.sort(key=lambda e: (e.height, e.id))
    lacking = {p for named in parents.values() for p in named if p not in heights}
    return fresh, lacking
