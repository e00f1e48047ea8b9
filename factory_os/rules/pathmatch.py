"""Gitignore-style path matching for scopes, notes and decisions, off the hook path.

A concrete path is matched exactly as `fos check` matches it (`rules.scope`:
the same translated expressions), so context, guard, drift and check agree;
what this module adds is the comparison of globs with globs.

Compiling a pattern costs about a hundred times more than matching with it, and
a factory can hold a thousand scoped rules, so every check first compares the
patterns' literal directory prefixes: `src/api/**` can never meet `docs/*.md`,
and neither needs compiling. Compiled specs are memoised per pattern tuple.
"""

from __future__ import annotations

import bisect
import fnmatch
from collections.abc import Iterable, Sequence
from functools import lru_cache

from factory_os.rules.scope import Matcher, Scope, Translated, translate

GLOB_CHARS = "*?[\\"


@lru_cache(maxsize=8192)
def literal_prefix(pattern: str) -> str | None:
    """The directory part of PATTERN before any glob character, or None when the
    pattern can match at any depth (a gitignore pattern without an inner slash)."""
    body = pattern.removeprefix("!").removeprefix("/")
    if "/" not in body.rstrip("/") and not pattern.startswith("/"):
        return None
    cut = min((i for i, ch in enumerate(body) if ch in GLOB_CHARS), default=len(body))
    head = body[:cut]
    if cut == len(body):
        return head  # a plain path: the whole of it is literal
    return head[: head.rfind("/") + 1]


def _may_meet(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a.startswith(b) or b.startswith(a)


@lru_cache(maxsize=4096)
def _matcher(patterns: tuple[str, ...]) -> Matcher:
    return Matcher(translate(patterns))


@lru_cache(maxsize=4096)
def _scope(paths: tuple[str, ...], exclude: tuple[str, ...]) -> Scope:
    return Scope(translate(paths), translate(exclude))


def scope_meets(paths: Sequence[str], exclude: Sequence[str], selectors: Sequence[str]) -> bool:
    """Whether a scope of PATHS (empty: every path) minus EXCLUDE concerns any of
    SELECTORS (none: every path). A concrete path is decided as `fos check` decides
    it; a glob as `overlaps` estimates, and an exclusion never hides it, since a
    glob may still reach past what is excluded."""
    if not selectors:
        return True
    for selector in selectors:
        if is_glob(selector):
            if not paths or overlaps(paths, [selector]):
                return True
        elif _scope(tuple(paths), tuple(exclude))(selector):
            return True
    return False


def matches(patterns: Sequence[str], path: str) -> bool:
    """Whether the concrete PATH is matched by the gitignore-style PATTERNS."""
    if not patterns:
        return False
    prefixes = [literal_prefix(p) for p in patterns]
    if not any(_may_meet(prefix, path) for prefix in prefixes):
        return False
    return _matcher(tuple(patterns))(path)


def matches_translated(patterns: Sequence[str], translated: Translated, path: str) -> bool:
    """`matches`, with PATTERNS already translated (`scope.translate`, kept by the
    caller): what the hook path matches without importing pathspec."""
    if not any(_may_meet(literal_prefix(p), path) for p in patterns):
        return False
    return _translated_matcher(tuple(translated))(path)


@lru_cache(maxsize=4096)
def _translated_matcher(translated: tuple[tuple[str, bool], ...]) -> Matcher:
    return Matcher(list(translated))


def overlaps(patterns: Sequence[str], selectors: Iterable[str]) -> bool:
    """Whether PATTERNS concern any of SELECTORS, each a path or a glob.

    Exact for a concrete path. Two globs cannot be compared exactly, so they are
    taken to overlap when their literal directory prefixes can meet and their
    last components can match each other (`src/**` and `src/api/*.py`, `*.py`
    and `src/**`): this errs on the side of showing a rule, not of hiding it.
    """
    if not patterns:
        return False
    prefixes = [literal_prefix(p) for p in patterns]
    for selector in selectors:
        if not is_glob(selector):
            if matches(patterns, selector):
                return True
            continue
        selector = selector + "**" if selector.endswith("/") else selector
        selector_prefix = literal_prefix(selector)
        selector_name = _last(selector)
        for pattern, prefix in zip(patterns, prefixes, strict=True):
            if _may_meet(prefix, selector_prefix) and _names_meet(_last(pattern), selector_name):
                return True
    return False


def _last(pattern: str) -> str:
    """The last component of PATTERN; a directory pattern (`src/`) stands for `**`."""
    return "**" if pattern.endswith("/") else pattern.rsplit("/", 1)[-1]


def _names_meet(a: str, b: str) -> bool:
    wild = ("*", "**")
    return a in wild or b in wild or fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a)


def is_glob(text: str) -> bool:
    return any(ch in text for ch in GLOB_CHARS) or text.endswith("/")


def any_file_matches(patterns: Sequence[str], sorted_files: Sequence[str]) -> bool:
    """Whether any of SORTED_FILES matches PATTERNS (for drift over `git ls-files`).

    Files sharing a literal prefix are one contiguous run of a sorted list, so
    an anchored pattern only looks at its own run.
    """
    match = _matcher(tuple(patterns))
    for pattern in patterns:
        prefix = literal_prefix(pattern)
        if prefix is None:
            candidates: Sequence[str] = sorted_files
        else:
            start = bisect.bisect_left(sorted_files, prefix)
            end = bisect.bisect_left(sorted_files, prefix + "\U0010ffff")
            candidates = sorted_files[start:end]
        if any(match(path) for path in candidates):
            return True
    return False
