"""Gitignore-style path matching at hook speed, in time linear in the path.

Patterns are translated once, when rules are compiled (`factory_os.globs`, with
the slow-to-import `pathspec`); the hook path only needs the stored expressions.
Those of plain globs (literal characters, `*` and `**`: most scopes) are read back
into segments and matched with string operations; any other runs on RE2, which
never backtracks and is loaded only for a scope that has one. The last matching
pattern wins, as in .gitignore, so `!pattern` re-includes or excludes. This is
the one matcher: check, guard, context and drift all match paths here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

# as `globs.Translated`: (regex, include) in order (`globs`, for compiling, stays off
# the hook path)
Translated = list[tuple[str, bool]]

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass

GLOB_CHARS = "*?[\\"


def translate(patterns: Sequence[str]) -> Translated:
    """`globs.translate`: gitignore-style PATTERNS as the expressions matched here."""
    from factory_os.globs import translate as translated

    return translated(patterns)


def literal_prefixes(patterns: Sequence[str]) -> list[str] | None:
    """Literal starts every path matching PATTERNS must have, or None if some pattern
    matches at any depth or re-includes (`!`). A cheap filter before any regex."""
    prefixes = []
    for pattern in patterns:
        text = pattern.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("!"):
            return None
        body = text.lstrip("/")
        if "/" not in body.rstrip("/") and not text.startswith("/"):
            return None  # no slash before the end: matches at any depth
        cut = min((i for i, c in enumerate(body) if c in GLOB_CHARS), default=len(body))
        if cut == 0:
            return None
        prefixes.append(body[:cut])
    return prefixes


class Matcher:
    """Whether a path matches an ordered list of translated patterns."""

    __slots__ = ("_groups", "empty")

    def __init__(self, translated: Translated) -> None:
        self.empty = not translated
        self._groups: list[tuple[Expression, bool]] = []
        # consecutive patterns of the same sign become one expression: fewer compiles
        run: list[str] = []
        sign = True
        for regex, include in translated:
            if run and include != sign:
                self._groups.append((_compile_any(tuple(run)), sign))
                run = []
            run.append(regex)
            sign = include
        if run:
            self._groups.append((_compile_any(tuple(run)), sign))

    def __call__(self, path: str) -> bool:
        result = False
        for expression, include in self._groups:
            if result != include and expression.match(path):
                result = include
        return result


def encoded(path: str) -> bytes:
    """PATH as RE2 reads it: UTF-8, where each byte of a name that was not UTF-8 (kept
    by `git.decode` as a surrogate) is a U+FFFD, a character `*` and `?` match, as
    they matched the surrogate."""
    try:
        return path.encode("utf-8")
    except UnicodeEncodeError:
        raw = path.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "replace").encode("utf-8")


class Expression:
    """A scope's expression (or an alternation of several), matched at a path's start."""

    __slots__ = ()

    def match(self, path: str) -> bool:
        raise NotImplementedError


class _OnRE2(Expression):
    __slots__ = ("_regex",)

    def __init__(self, regexes: Sequence[str]) -> None:
        import re2

        from factory_os.globs import for_re2, options

        text = "|".join(f"(?:{regex})" for regex in regexes)
        self._regex = re2.compile(for_re2(text), options())

    def match(self, path: str) -> bool:
        return self._regex.match(encoded(path)) is not None


class _Any(Expression):
    """Any of PARTS matches."""

    __slots__ = ("_parts",)

    def __init__(self, parts: Sequence[Expression]) -> None:
        self._parts = tuple(parts)

    def match(self, path: str) -> bool:
        return any(part.match(path) for part in self._parts)


@lru_cache(maxsize=4096)
def _compile_any(regexes: tuple[str, ...]) -> Expression:
    """REGEXES as one expression: those of plain globs matched as such, the others
    (if any) by one RE2 alternation. RE2 is loaded only for a scope that needs it."""
    read = [(regex, plain(regex)) for regex in regexes]
    parts: list[Expression] = [found for _regex, found in read if found is not None]
    rest = [regex for regex, found in read if found is None]
    if rest:
        parts.append(_OnRE2(rest))
    return parts[0] if len(parts) == 1 else _Any(parts)


def _compile(regex: str) -> Expression:
    return _compile_any((regex,))


# Plain globs (segments of literal characters and `*`, and `**`) match without a
# regular expression engine. Their expressions, as `globs.translate` writes them, are
# read back into segments: a segment's glob matches one whole path segment, a `**`
# any number of segments, in time proportional to the path (times the glob: one
# string search per piece, and no backtracking beyond the last `**`).
# Any other expression, or a path with an empty segment, goes to RE2.
_TOKENS = (
    ("^(?:.+/)?", "lead"),  # a leading `**/`: any leading segments
    ("(?:/.+)?", "dirs"),  # a `/**/` inside: any segments between
    ("(?:/|$)", "end"),  # after the last segment: the path may go on below it
    ("[^/]+", "one"),  # a whole segment `*`
    ("[^/]*", "*"),
    ("/", "/"),
    ("^", "^"),
)
_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_!")
_ESCAPED = frozenset(".-")  # the characters of a plain glob that `re.escape` escapes
_DIRS = None  # in a parsed pattern: any number of whole segments, at least none


class _Segment:
    """One segment's glob: literal pieces around `*`s (ONE: a whole segment `*`)."""

    __slots__ = ("_pieces", "_size")

    def __init__(self, pieces: list[str]) -> None:
        self._pieces = pieces
        self._size = sum(len(piece) for piece in pieces)

    def __call__(self, name: str) -> bool:
        pieces = self._pieces
        if len(pieces) < 2:
            return bool(pieces) and name == pieces[0]
        first, last = pieces[0], pieces[-1]
        if len(name) < self._size or not name.startswith(first) or not name.endswith(last):
            return False
        at, end = len(first), len(name) - len(last)
        for piece in pieces[1:-1]:  # leftmost is right for each: `*` takes the rest
            found = name.find(piece, at, end)
            if found < 0:
                return False
            at = found + len(piece)
        return True


_NOTHING = _Segment([])  # past the last item: matches no segment


class _Plain(Expression):
    """A plain glob's expression: segments (`_Segment`, or `_DIRS` for any number of
    whole segments) that must take a path's segments from the first to the last."""

    __slots__ = ("_fixed", "_items", "_regex", "_shape")

    def __init__(self, items: list[_Segment | None], regex: str) -> None:
        self._items = items
        self._regex = regex  # for a path with an empty segment, which git never names
        # most globs are segments from the top (`src/*.py`, `docs/`) or segments at any
        # depth (`*.md`, `**/build/`), then anything below: matched without the search
        body = items[:-1] if items and items[-1] is None else [None, None]
        segments = tuple(item for item in body if item is not None)
        self._fixed: tuple[_Segment, ...] = segments
        if len(segments) == len(body):
            self._shape = "top"
        elif body[0] is None and len(segments) == len(body) - 1:
            self._shape = "any depth"
        else:
            self._shape = ""

    def match(self, path: str) -> bool:
        if not path or path[0] == "/" or path[-1] == "/" or "//" in path:
            return _compile_re2(self._regex).match(path)
        names = path.split("/")
        fixed = self._fixed
        if self._shape == "top":
            return len(names) >= len(fixed) and all(map(_called, fixed, names))
        if self._shape == "any depth":
            if len(fixed) == 1:
                return any(map(fixed[0], names))
            return any(
                all(map(_called, fixed, names[start:]))
                for start in range(len(names) - len(fixed) + 1)
            )
        items = self._items
        # wildcard matching, `_DIRS` the wildcard: greedy, back to the last one on a miss
        i = n = 0
        star, taken = -1, 0
        while n < len(names):
            item = items[i] if i < len(items) else _NOTHING
            if item is None:
                star, taken = i, n
                i += 1
            elif item(names[n]):
                i += 1
                n += 1
            elif star >= 0:
                i, taken = star + 1, taken + 1
                n = taken
            else:
                return False
        while i < len(items) and items[i] is None:
            i += 1
        return i == len(items)


def _called(segment: _Segment, name: str) -> bool:
    return segment(name)


@lru_cache(maxsize=256)
def _compile_re2(regex: str) -> Expression:
    return _OnRE2([regex])


def plain(regex: str) -> _Plain | None:
    """REGEX as segments, when it is a plain glob's expression; else None."""
    items: list[_Segment | None] = []
    pieces: list[str] | None = None  # the segment being read
    whole = False  # the segment is a `*` alone: nothing may follow it in the segment
    after = ""  # the kind of the token before
    at = 0
    if not regex.startswith("^"):
        return None
    while at < len(regex):
        if after == "end":
            return None  # `(?:/|$)` ends an expression
        token = next((t for t in _TOKENS if regex.startswith(t[0], at)), None)
        if token is not None:
            text, kind = token
            if kind in ("^", "lead") and at != 0:
                return None
            at += len(text)
        elif regex[at] == "\\" and at + 1 < len(regex) and regex[at + 1] in _ESCAPED:
            kind, text = "literal", regex[at + 1]
            at += 2
        elif regex[at] in _LITERAL:
            kind, text = "literal", regex[at]
            at += 1
        else:
            return None
        if kind in ("literal", "*", "one"):
            if whole or (kind == "one" and pieces is not None):
                return None
            pieces = [""] if pieces is None else pieces
            if kind == "literal":
                pieces[-1] += text
            else:
                pieces.append("")
                whole = kind == "one"
        elif kind == "dirs":  # `(?:/.+)?` after a segment, then `/` and a segment
            if pieces is None:
                return None
            items += [_Segment(pieces), _DIRS]
            pieces, whole = None, False
        elif kind == "lead":
            items.append(_DIRS)
        elif kind in ("/", "end"):
            if pieces is None and not (kind == "/" and after == "dirs" and items):
                return None
            if pieces is not None:
                items.append(_Segment(pieces))
            pieces, whole = None, False
            if kind == "end":
                items.append(_DIRS)  # whatever lies below the last segment
            elif at == len(regex):
                items += [_Segment(["", ""]), _DIRS]  # a trailing `/**`: one segment or more
                kind = "end"
        after = kind
    if after != "end":
        return None
    return _Plain(items, regex)


def deciding(translated: Translated, path: str) -> int | None:
    """The index in TRANSLATED of the pattern that makes PATH match (the last that
    matches it, as in .gitignore); None when PATH does not match. For messages that
    name the line of the pattern: a match is decided by `Matcher` first."""
    found = None
    for index, (regex, _include) in enumerate(translated):
        if _compile(regex).match(path):
            found = index
    return found if found is not None and translated[found][1] else None


def roles_bind(rule_roles: Sequence[str], held: Sequence[str]) -> bool:
    """Whether a rule scoped to RULE_ROLES (empty: everyone) binds one holding HELD."""
    return not rule_roles or any(role in rule_roles for role in held)


class Scope:
    """A rule's `paths` and `exclude`: empty `paths` means every path."""

    __slots__ = ("_exclude", "_paths")

    def __init__(self, paths: Translated, exclude: Translated) -> None:
        self._paths = Matcher(paths)
        self._exclude = Matcher(exclude)

    def __call__(self, path: str) -> bool:
        if not self._paths.empty and not self._paths(path):
            return False
        return self._exclude.empty or not self._exclude(path)
