"""The changes a check looks at, and their contents fetched in bulk.

A `Change` is one commit, the staged change (commit None), or the whole tree
for `--all`. Contents are never read file by file: the engine first says what
it needs (`Contents.want`), then one git process answers for all commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from factory_os.git import plumbing as git
from factory_os.rules.compiled import Member

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from factory_os.records import NamedTuple


class FileChange(NamedTuple):
    status: str  # A added, M modified, D deleted, T type changed
    old_blob: str
    new_blob: str
    path: str  # relative to the factory root


class Change:
    """One commit, the staged change (commit None), or the tree for `--all`."""

    def __init__(
        self,
        commit: str | None,
        files: list[FileChange],
        author_name: str = "",
        author_email: str = "",
        parents: tuple[str, ...] = (),
        message: str | None = None,  # None: not known yet (pre-commit)
        trailers: list[tuple[str, str]] | None = None,
        signature: tuple[str, str, str, str] | None = None,  # %G?, %GS, %GF, %GP
        member: Member | None = None,
        founding: bool = False,
    ) -> None:
        self.commit = commit
        self.files = files
        self.author_name = author_name
        self.author_email = author_email
        self.parents = parents
        self.message = message
        self.trailers = trailers or []
        self.signature = signature
        self.member = member
        self.founding = founding
        self._by_path: tuple[list[str], list[FileChange]] | None = None

    def by_path(self) -> tuple[list[str], list[FileChange]]:
        """The paths, sorted, and their file changes in the same order."""
        if self._by_path is None:
            ordered = sorted(self.files, key=lambda f: f.path)
            self._by_path = ([f.path for f in ordered], ordered)
        return self._by_path

    @property
    def member_name(self) -> str | None:
        """Who a finding names: the member id, else the author email (None if empty)."""
        return self.member.id if self.member else self.author_email or None

    def trailer_values(self, key: str) -> list[str]:
        wanted = key.lower()
        return [value for name, value in self.trailers if name.lower() == wanted]


def parse_trailers(text: str) -> list[tuple[str, str]]:
    """`Key: value` lines as git prints them (`--parse`, `%(trailers:only,unfold)`)."""
    out = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            out.append((key.strip(), value.strip()))
    return out


AddedLines = list[tuple[int, str]]
Fetch = Callable[[list[str | None], list[str]], bytes]


Grep = Callable[[list[str], list[str]], set[str]]


class Contents:
    """Added lines of (commit, path) pairs, fetched in one git call per check.

    A rule may say which text every match contains (its literal); with a GREP
    (staged changes), files whose new content holds none of the literals asked
    for are known to add no matching line, and their patch is never made.
    """

    def __init__(
        self, fetch: Fetch, to_local: Callable[[str], str | None], grep: Grep | None = None
    ) -> None:
        self._fetch = fetch
        self._to_local = to_local
        self._grep = grep
        self._wanted: dict[str | None, dict[str, set[str]]] = {}
        self._added: dict[tuple[str | None, str], AddedLines] = {}
        self._loaded = False
        self._entries: dict[str, dict[str, Any] | str] = {}

    def want(self, commit: str | None, path: str, literal: str = "") -> None:
        self._wanted.setdefault(commit, {}).setdefault(path, set()).add(literal)

    def added(self, commit: str | None, path: str) -> AddedLines:
        if not self._loaded:
            self._load()
        return self._added.get((commit, path), [])

    def entry(self, text: str) -> dict[str, Any] | str:
        """The fields of TEXT, a line added to a segment, or what is wrong with it
        (`ledger.line.parse_full`): read once per check, whichever checks ask (the
        ledger's integrity, provenance, the lifecycle's and runs' replay). The fields
        are shared: read them, never change them."""
        found = self._entries.get(text)
        if found is None:
            from factory_os.ledger.line import parse_full

            found = self._entries[text] = parse_full(text.encode("utf-8"))
        return found

    def _load(self) -> None:
        self._loaded = True
        if self._grep is not None and None in self._wanted:
            self._narrow(self._wanted[None])
        wanted = {c: paths for c, paths in self._wanted.items() if paths}
        if not wanted:
            return
        paths = sorted({p for paths in wanted.values() for p in paths})
        patch = self._fetch(list(wanted), paths)
        for commit, path, lines in parse_patch(patch, self._to_local):
            if path in wanted.get(commit, ()):
                self._added[(commit, path)] = lines

    def _narrow(self, paths: dict[str, set[str]]) -> None:
        """Drop the paths whose content contains none of the literals wanted for them."""
        assert self._grep is not None
        literal_only = [p for p, literals in paths.items() if "" not in literals]
        if not literal_only:
            return
        literals = sorted({lit for p in literal_only for lit in paths[p]})
        holding = self._grep(literal_only, literals)
        for path in literal_only:
            if path not in holding:
                del paths[path]


class Written(Contents):
    """Added lines of writes not made yet (guard): for each path, the text it holds now
    and the text the write would leave. Only lines the write adds count, as in a diff."""

    def __init__(self, texts: Mapping[str, tuple[str, str]]) -> None:
        super().__init__(lambda _c, _p: b"", lambda path: path)
        self._texts = texts

    def added(self, commit: str | None, path: str) -> AddedLines:
        if commit is not None or path not in self._texts:
            return []
        return added_lines(*self._texts[path])


def added_lines(old: str, new: str) -> AddedLines:
    """The lines of NEW that are not in OLD, as a line diff sees them, numbered in NEW."""
    import difflib

    before, after = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return [
        (index + 1, after[index])
        for tag, _i1, _i2, first, last in matcher.get_opcodes()
        if tag in ("replace", "insert")
        for index in range(first, last)
    ]


def parse_patch(
    data: bytes, to_local: Callable[[str], str | None]
) -> Iterator[tuple[str | None, str, AddedLines]]:
    """(commit, path, added lines) of a zero-context patch; commits come as `\\x01<sha>`
    lines. Merges come as dense combined diffs: a line counts as added only when it
    is new against every parent."""
    commit: str | None = None
    path: str | None = None
    lines: AddedLines = []
    number = 0
    columns = 1
    for raw in data.split(b"\n"):
        if raw.startswith(b"\x01"):
            if path is not None:
                yield commit, path, lines
            commit, path, lines = git.decode(raw[1:]).strip(), None, []
        elif raw.startswith((b"diff --git ", b"diff --cc ", b"diff --combined ")):
            if path is not None:
                yield commit, path, lines
            path, lines = None, []
            columns = 1 if raw.startswith(b"diff --git ") else 0
        elif raw.startswith(b"+++ ") and number == 0:
            target = _unquote(raw[4:])
            local = to_local(target[2:]) if target.startswith("b/") else None
            path = local
        elif raw.startswith(b"@@"):
            at = len(raw) - len(raw.lstrip(b"@"))
            columns = at - 1
            header = raw[at:].split(b" ")
            new = next(part for part in header if part.startswith(b"+"))
            number = int(new[1:].split(b",")[0])
        elif raw.startswith(b"\\"):
            continue  # "\ No newline at end of file": a remark on the line before
        elif path is not None and columns and len(raw) >= columns and number:
            prefix = raw[:columns]
            if b"-" in prefix:
                continue
            if prefix == b"+" * columns:
                lines.append((number, git.decode(raw[columns:])))
            number += 1
        if raw.startswith(b"diff "):
            number = 0
    if path is not None:
        yield commit, path, lines


def combined_paths(data: bytes) -> dict[str, set[str]]:
    """merge -> the paths its dense combined diff (`--cc`) shows, from `\\x01<sha>`
    lines and `diff --cc PATH` headers."""
    out: dict[str, set[str]] = {}
    commit = ""
    for raw in data.split(b"\n"):
        if raw.startswith(b"\x01"):
            commit = git.decode(raw[1:]).strip()
            out.setdefault(commit, set())
        elif raw.startswith(b"diff --cc "):
            out.setdefault(commit, set()).add(_unquote(raw[len(b"diff --cc ") :]))
    return out


def _unquote(raw: bytes) -> str:
    """A path as git prints it in a patch header: C-quoted when unusual."""
    text = raw.rstrip(b"\t")
    if not text.startswith(b'"'):
        return git.decode(text)
    out = bytearray()
    index = 1
    escapes = {
        b"n": 10,
        b"t": 9,
        b'"': 34,
        b"\\": 92,
        b"a": 7,
        b"b": 8,
        b"f": 12,
        b"v": 11,
        b"r": 13,
    }
    while index < len(text) and text[index : index + 1] != b'"':
        char = text[index : index + 1]
        if char == b"\\":
            nxt = text[index + 1 : index + 2]
            if nxt in escapes:
                out.append(escapes[nxt])
                index += 2
            else:
                out.append(int(text[index + 1 : index + 4], 8))
                index += 4
        else:
            out += char
            index += 1
    return git.decode(bytes(out))


def file_changes(
    entries: Iterable[tuple[str, str, str, str]], to_local: Callable[[str], str | None]
) -> list[FileChange]:
    out = []
    for status, old, new, path in entries:
        local = to_local(path)
        if local is not None:
            out.append(FileChange(status, old, new, local))
    return out
