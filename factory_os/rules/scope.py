"""Gitignore-style path matching at hook speed, in time linear in the path.

Patterns are translated once, when rules are compiled (`factory_os.globs`, with
the slow-to-import `pathspec`); the hook path only needs the stored expressions
and RE2, which never backtracks. The last matching pattern wins, as in
.gitignore, so `!pattern` re-includes or excludes. This is the one matcher:
check, guard, context and drift all match paths here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from factory_os.globs import Translated as Translated, for_re2, options, translate as translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

GLOB_CHARS = "*?[\\"


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
        self._groups: list[tuple[Any, bool]] = []
        # consecutive patterns of the same sign become one alternation: fewer compiles
        run: list[str] = []
        sign = True
        for regex, include in translated:
            if run and include != sign:
                self._groups.append((_compile("|".join(run)), sign))
                run = []
            run.append(f"(?:{regex})")
            sign = include
        if run:
            self._groups.append((_compile("|".join(run)), sign))

    def __call__(self, path: str) -> bool:
        return self.matches(encoded(path))

    def matches(self, path: bytes) -> bool:
        """Whether PATH, as `encoded` gives it, matches."""
        result = False
        for regex, include in self._groups:
            if result != include and regex.match(path):
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


@lru_cache(maxsize=4096)
def _compile(regex: str) -> Any:
    import re2

    return re2.compile(for_re2(regex), options())


def deciding(translated: Translated, path: str) -> int | None:
    """The index in TRANSLATED of the pattern that makes PATH match (the last that
    matches it, as in .gitignore); None when PATH does not match. For messages that
    name the line of the pattern: a match is decided by `Matcher` first."""
    found = None
    for index, (regex, _include) in enumerate(translated):
        if _compile(regex).match(encoded(path)):
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
        text = encoded(path)
        if not self._paths.empty and not self._paths.matches(text):
            return False
        return self._exclude.empty or not self._exclude.matches(text)
