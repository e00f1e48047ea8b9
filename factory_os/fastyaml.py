"""The fast path of `store`'s YAML reader: libyaml through PyYAML's C parser.

ruamel.yaml in pure Python costs about three milliseconds a file, most of a
cold `fos context` or `fos validate`. libyaml scans, parses and composes the
node graph in C; this module turns the nodes into plain data the way ruamel's
YAML 1.2 round-trip loader would, and keeps the nodes for `line_of`.

It only accelerates: anything it is not sure to read exactly as ruamel does
(a parse error, a duplicate key, anchors and aliases, merge keys, explicit
tags, directives, deep nesting, a huge node count, scalars in an unusual
notation) makes `load` return None, and `store` reads the text with ruamel, so
every error message, line and limit stays the one ruamel's path gives. Without
PyYAML's C extension (`CParser` is None) every document takes that path.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from typing import Any

try:
    from yaml import YAMLError
    from yaml._yaml import CParser
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode
except ImportError:  # PyYAML without libyaml, or none: ruamel reads everything
    CParser = None

PLAIN = "plain"  # a plain scalar with no tag: resolved below, as YAML 1.2 does
TEXT = "text"  # a quoted or block scalar with no tag: always a string
COLLECTION = "collection"  # a mapping or sequence with no tag

# ruamel's YAML 1.2 implicit resolvers (ruamel.yaml.resolver), as one pattern each
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_NULL = re.compile(r"~|null|Null|NULL|")
_INT = re.compile(r"[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+")
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
    r"|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN)"
)
_TIMESTAMP = re.compile(
    r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
    r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
    r"(?:[Tt]|[ \t]+)[0-9][0-9]?"
    r":[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?"
)
_SPECIAL = re.compile(r"<<|=")  # merge and value keys: ruamel's business
# the notations read here; the rest of what the resolvers match goes to ruamel
_SIMPLE_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_SIMPLE_FLOAT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[-+][0-9]{2}:[0-9]{2})?"
)
# only characters that can begin a scalar some resolver claims need a closer look
_MAYBE_TYPED = frozenset("tTfF~nN-+0123456789.<=")
# text where ruamel and libyaml part ways (`_unusual`): what ruamel's reader refuses,
# tabs, a byte order mark, line breaks other than \r and \n; anchors (an alias
# needs one), tags (even the non-specific `!`, which ruamel reads its own way; any
# `!` that begins a token), directives and document markers
_UNUSUAL_CHARACTER = (
    "[^\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# the same among ASCII characters, where most documents are written: this one costs
# nothing to compile, the one above milliseconds (it is compiled on first use)
_UNUSUAL_ASCII = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(r"(?:^|[ \t\[{,])!", re.MULTILINE)
_LINE_STARTS = ("%", "---", "...")  # a directive, a document marker, at the start of a line
_AFTER_BREAK = tuple(f"\n{start}" for start in _LINE_STARTS)
# a block scalar is read alike when its header is plain and no line after it
# begins with a comment sign (the two disagree on where such a scalar ends)
_BLOCK_HEADER = re.compile(r"[|>][-+]?[1-9]?[-+]?[ ]*(?:\r?\n|$)")
_COMMENT_LINE = re.compile(r"^[ ]*#", re.MULTILINE)


class _Fallback(Exception):
    """Read this document with ruamel instead."""


if CParser is not None:

    class _Parser(CParser):  # type: ignore[misc]
        """libyaml's composer with a resolver that only says which nodes carry no tag."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is ScalarNode:
                return PLAIN if implicit[0] else TEXT if implicit[1] else "!"
            return COLLECTION if implicit else "!"

        def descend_resolver(self, parent: Any, index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass


class Document:
    """What `load` read: the plain data, and the node graph it came from."""

    __slots__ = ("plain", "root")

    def __init__(self, plain: Any, root: Any) -> None:
        self.plain = plain
        self.root = root

    def line_of(self, loc: tuple[int | str, ...]) -> int:
        """The 0-based line of the deepest part of LOC found (0 if none), as ruamel's
        `lc.key` and `lc.item` give it: the line where the key or the item starts."""
        line = 0
        node = self.root
        for part in loc:
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    if key.value == part:
                        line = key.start_mark.line
                        node = value
                        break
            elif (
                isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value)
            ):
                node = node.value[part]
                line = node.start_mark.line
        return line


def load(text: str, max_nodes: int, max_depth: int) -> Document | None:
    """TEXT read as ruamel reads it, or None when ruamel must read it."""
    if CParser is None or _unusual(text):
        return None
    parser = _Parser(text)
    try:
        root = parser.get_single_node()
    except YAMLError:
        return None
    finally:
        parser.dispose()
    if root is None:
        return Document(None, None)
    try:
        return Document(_Builder(text, max_nodes).plain(root, max_depth), root)
    except _Fallback:
        return None


def _unusual(text: str) -> bool:
    """Whether TEXT holds anything the two read apart (see above). One pattern of
    alternatives costs a tenth of a millisecond a document, tried at every
    character; searches for a character class and for substrings cost a tenth of that."""
    characters = _UNUSUAL_ASCII if text.isascii() else _compiled(_UNUSUAL_CHARACTER)
    return (
        characters.search(text) is not None
        or "&" in text
        or ("!" in text and _TAG.search(text) is not None)
        or text.startswith(_LINE_STARTS)
        or _AFTER_BREAK[0] in text
        or _AFTER_BREAK[1] in text
        or _AFTER_BREAK[2] in text
    )


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class _Builder:
    """Plain data from a node graph, as ruamel's round-trip loader and `store` make it."""

    def __init__(self, text: str, max_nodes: int) -> None:
        self.text = text
        self.budget = max_nodes

    def plain(self, node: Any, depth: int) -> Any:
        self.budget -= 1
        tag = node.tag
        if depth <= 1 or self.budget < 0:
            raise _Fallback  # ruamel's limits decide, and word the error
        if tag is PLAIN:
            return _scalar(node.value)
        if tag is TEXT:
            if node.style in ("|", ">"):
                self.check_block(node.start_mark.index)
            return node.value
        if tag is not COLLECTION:
            raise _Fallback  # an explicit tag
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.plain(key_node, depth - 1)
                if not isinstance(key, str) or key in out:
                    raise _Fallback  # a duplicate key: ruamel's error names it
                out[key] = self.plain(value_node, depth - 1)
            return out
        return [self.plain(item, depth - 1) for item in node.value]

    def check_block(self, start: int) -> None:
        if not _BLOCK_HEADER.match(self.text, start) or _COMMENT_LINE.search(self.text, start):
            raise _Fallback


def _scalar(value: str) -> Any:
    if value and value[0] not in _MAYBE_TYPED:
        return value
    if _NULL.fullmatch(value):
        return None
    if _BOOL.fullmatch(value):
        return value[0] in "tT"
    if _SPECIAL.fullmatch(value):
        raise _Fallback
    if _INT.fullmatch(value):
        if _SIMPLE_INT.fullmatch(value):
            return int(value)
        raise _Fallback
    if _FLOAT.fullmatch(value):
        if _SIMPLE_FLOAT.fullmatch(value):
            return float(value)
        raise _Fallback
    if _TIMESTAMP.fullmatch(value):
        try:
            if _DATE.fullmatch(value):
                return date.fromisoformat(value)
            if _DATETIME.fullmatch(value):
                return datetime.fromisoformat(value)
        except ValueError:
            pass
        raise _Fallback
    return value
