"""Gitignore-style globs as RE2 expressions: the one translation scopes are matched by.

Patterns are translated with the `pathspec` package (slow to import), once, when
rules are compiled; `rules.scope` matches paths with the stored expressions. The
expressions run on RE2, whose matching time is linear in the path: a scope a pull
request adds, such as `**/a*a*a*a*a*a*a*a*b`, cannot make a check backtrack for
minutes over a long file name, as a backtracking engine does.

pathspec writes Python `re` syntax. Where RE2 reads the same text otherwise, the
text is rewritten to keep Python's meaning: inside a bracket expression a `[` is a
plain character to Python but may open a POSIX class (`[:alpha:]`) to RE2.
"""

from __future__ import annotations

from collections.abc import Sequence

Translated = list[tuple[str, bool]]  # (regex, include) in order

# the characters of a plain glob: pathspec writes such a pattern only as escaped
# literals, `[^/]*`, `.*`, anchors and groups, which RE2 reads as Python does, so
# it needs no trial compile (a thousand rules are read faster on a fresh clone)
PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./*-!")
UNPLAIN = frozenset({"!", "/"})  # the plain globs pathspec refuses or gives no expression


class GlobError(ValueError):
    """A glob that translates to no expression RE2 accepts."""


def translate(patterns: Sequence[str]) -> Translated:
    """The expressions of gitignore-style PATTERNS, in order (imports pathspec); a
    comment or a blank pattern has none. A GlobError names the first invalid one."""
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    out: Translated = []
    for pattern in patterns:
        try:
            regex, include = GitIgnoreSpecPattern.pattern_to_regex(pattern)
        except ValueError as exc:  # pathspec's GitIgnorePatternError is one
            raise GlobError(f"invalid glob {pattern!r}: {exc}") from None
        if regex is None or include is None:
            if pattern.strip() and not pattern.lstrip().startswith("#"):
                # `a[`, `[!]`: no expression, so it would quietly match nothing
                raise GlobError(f"invalid glob {pattern!r}: an unclosed or empty bracket")
            continue
        text = str(regex).replace("(?P<ps_d>/)", "/")
        reason = "" if PLAIN.issuperset(pattern) else rejected(text)
        if reason:
            raise GlobError(f"invalid glob {pattern!r}: {reason}")
        out.append((text, bool(include)))
    return out


def check(pattern: str) -> str:
    """PATTERN, if it is a valid glob (for the models: a ValueError says why not)."""
    if pattern not in UNPLAIN and PLAIN.issuperset(pattern):
        return pattern  # pathspec translates every other plain glob, and RE2 reads it
    translate([pattern])
    return pattern


def for_re2(regex: str) -> str:
    """REGEX, in Python's syntax as pathspec writes it, in the syntax RE2 reads the
    same way: a `[` inside a bracket expression escaped."""
    if "[" not in regex:
        return regex
    out: list[str] = []
    index, size = 0, len(regex)
    in_class = False
    while index < size:
        ch = regex[index]
        if ch == "\\":
            out.append(regex[index : index + 2])
            index += 2
            continue
        index += 1
        if not in_class:
            out.append(ch)
            if ch == "[":
                in_class = True
                if regex.startswith("^", index):
                    out.append("^")
                    index += 1
                if regex.startswith("]", index):  # a leading `]` is a member, not the end
                    out.append("\\]")
                    index += 1
        elif ch == "[":
            out.append("\\[")
        else:
            out.append(ch)
            in_class = ch != "]"
    return "".join(out)


def options() -> object:
    """RE2's options for a scope's expressions: `.` matches a newline, as with Python's
    DOTALL (git allows one in a path); errors are reported, not logged to stderr."""
    import re2

    chosen = re2.Options()
    chosen.dot_nl = True
    chosen.log_errors = False
    return chosen


def rejected(regex: str) -> str:
    """Why RE2 refuses REGEX (Python syntax), or "" when it compiles."""
    import re2

    try:
        re2.compile(for_re2(regex), options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return ""
