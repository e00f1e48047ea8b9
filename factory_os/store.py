"""Finding the factory, reading its files safely, writing them atomically.

The only module that parses YAML (with `fastyaml`, its libyaml fast path, and
ruamel.yaml for the rest and for every write). Reading is defensive: every file is
size-limited, must be UTF-8 text, and YAML aliases are never expanded beyond a
node budget, so a hostile file costs bounded time and memory and is reported as
`path:line: message` (exit 3) instead of crashing or hanging.
"""

from __future__ import annotations

import functools
import io
import os
import stat
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

from factory_os.errors import EnvironmentProblem, InvalidInput, Problem
from factory_os.git.repo import Repository, require_worktree
from factory_os.paths import FACTORY_DIR

if TYPE_CHECKING:
    # imported where used: finding the factory and writing files must stay cheap
    # for the paths that never parse YAML (cached reads, the hook fast path)
    from pydantic import BaseModel, ValidationError
    from ruamel.yaml import YAML

    from factory_os import fastyaml

MAX_FILE_BYTES = 1024 * 1024
MAX_YAML_NODES = 100_000
MAX_YAML_DEPTH = 100
MODELINE_PREFIX = "# yaml-language-server: $schema="
SCHEMA_DIR = "schemas"  # .factory/schemas/: editor schemas written by `fos init`

M = TypeVar("M", bound="BaseModel")


@dataclass(frozen=True)
class Factory:
    """Where a factory lives: the directory holding `.factory/`, inside a git work tree,
    and the repository (found once per command, then passed down)."""

    root: Path
    repo: Repository

    @property
    def worktree(self) -> Path:
        return self.repo.top(self.root)

    @property
    def dir(self) -> Path:
        return self.root / FACTORY_DIR

    def rel(self, path: Path) -> str:
        """PATH as shown to the user: relative to the factory root, with slashes."""
        text, root = str(path), str(self.root)
        if text.startswith(root) and text[len(root) : len(root) + 1] == os.sep:
            # the common case, without a relative Path: a command asks for thousands
            return text[len(root) + 1 :].replace(os.sep, "/")
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def find_factory(start: Path) -> Factory:
    """The nearest `.factory/` at or above START, not above its git work tree.

    Every path under it must stay in the work tree: a `.factory/` (or a directory
    or file in it) that is a symbolic link to elsewhere, as a commit can carry,
    would lead reads and writes out of the repository; it is an InvalidInput."""
    repo = require_worktree(start)
    worktree = repo.top(start)
    here = start.resolve()
    while True:
        if (here / FACTORY_DIR).is_dir():
            factory = Factory(root=here, repo=repo)
            escaping = escapes(factory)
            if escaping:
                raise InvalidInput(escaping)
            return factory
        if here == worktree or here.parent == here:
            break
        here = here.parent
    raise EnvironmentProblem(
        f"no {FACTORY_DIR}/ found in {start} or above it in the work tree {worktree}"
        " (run `fos init` to create one)"
    )


def escapes(factory: Factory) -> list[Problem]:
    """The paths under the factory's `.factory/` (itself included) that resolve
    outside its work tree, through symbolic links."""
    top = os.path.realpath(factory.worktree)

    def outside(path: str) -> str | None:
        real = os.path.realpath(path)
        return None if real == top or real.startswith(top + os.sep) else real

    def problem(path: str, real: str) -> Problem:
        return Problem(factory.rel(Path(path)), 0, f"leads outside the work tree (to {real})")

    real = outside(os.fspath(factory.dir))
    if real is not None:
        return [problem(os.fspath(factory.dir), real)]
    found = []
    pending = [os.fspath(factory.dir)]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue  # not a directory, or unreadable: the readers report it
        for entry in entries:
            if entry.is_symlink():
                real = outside(entry.path)
                if real is not None:
                    found.append(problem(entry.path, real))
            elif entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
    return sorted(found)


# -- reading ---------------------------------------------------------------


def read_text(path: Path, rel: str) -> str:
    """The file's text, refusing what is too large, binary or not UTF-8."""
    return text_of(read_bytes(path, rel), rel)


def read_bytes(path: Path | str, rel: str, limit: int | None = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, at most LIMIT + 1 of them (None: all), refusing what is not a
    regular file: a FIFO, a device or a socket put where a document belongs would
    make a plain read wait forever."""
    try:
        # O_NONBLOCK: a FIFO (or a symlink to one, or to /dev/stdin) must not hang us
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InvalidInput.one(rel, 0, "file not found") from None
    except OSError as exc:
        raise InvalidInput.one(rel, 0, f"cannot read: {exc.strerror}") from None
    try:
        kind = os.fstat(fd).st_mode
        if stat.S_ISDIR(kind):
            raise InvalidInput.one(rel, 0, "is a directory, not a file")
        if not stat.S_ISREG(kind):
            raise InvalidInput.one(rel, 0, "not a regular file (a device, FIFO or socket)")
        chunks = []
        size = 0
        while limit is None or size <= limit:
            chunk = os.read(fd, 1 << 20 if limit is None else limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise InvalidInput.one(rel, 0, f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)


def text_of(raw: bytes, rel: str) -> str:
    """RAW as text, refusing what is too large, binary or not UTF-8, as `read_text` does
    (for text handed over by other means than a file)."""
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput.one(rel, 0, f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise InvalidInput.one(rel, line, "binary content (NUL byte); expected UTF-8 text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput.one(rel, line, "not valid UTF-8 text") from None


@functools.cache
def _ruamel() -> Any:
    """ruamel.yaml, imported on first use: finding the factory and writing files must
    stay cheap for the paths that never parse YAML (cached reads, the hook fast path)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.composer import Composer, ComposerError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError
    from ruamel.yaml.scalarbool import ScalarBoolean

    class DepthLimitedComposer(Composer):
        """Refuses nesting deeper than MAX_YAML_DEPTH before it costs a deep recursion.

        Without it, `[[[[...` a few thousand levels deep runs into RecursionError
        only after seconds of work, and without a line to report.
        """

        _nesting = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self._nesting += 1
            try:
                if self._nesting > MAX_YAML_DEPTH:
                    mark = self.parser.peek_event().start_mark
                    raise ComposerError(
                        None, None, f"nesting deeper than {MAX_YAML_DEPTH} levels", mark
                    )
                return super().compose_node(parent, index)
            finally:
                self._nesting -= 1

    return SimpleNamespace(
        YAML=YAML,
        CommentedMap=CommentedMap,
        CommentedSeq=CommentedSeq,
        DepthLimitedComposer=DepthLimitedComposer,
        MarkedYAMLError=MarkedYAMLError,
        YAMLError=YAMLError,
        ReaderError=ReaderError,
        ScalarBoolean=ScalarBoolean,
    )


def _yaml() -> YAML:
    rt = _ruamel()
    yaml: YAML = rt.YAML(typ="rt")
    yaml.Composer = rt.DepthLimitedComposer
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


_UNREAD = object()


@dataclass
class YamlDocument:
    """A parsed YAML document: its plain data, and the lines its keys and items are on.

    `tree`, the round-trip tree (comments and order kept, for a file that is
    rewritten), is parsed with ruamel on first use when the fast path read the text.
    """

    plain: Any
    rel: str
    line_offset: int = 0
    text: str = ""
    nodes: fastyaml.Document | None = None
    _tree: Any = field(default=_UNREAD, repr=False)

    @property
    def tree(self) -> Any:
        if self._tree is _UNREAD:
            self._tree = _parse_round_trip(self.text, self.rel, self.line_offset)[0]
        return self._tree

    def line_of(self, loc: tuple[int | str, ...]) -> int:
        if self.nodes is not None:
            return self.nodes.line_of(loc) + 1 + self.line_offset
        return _line_of(self.tree, loc) + self.line_offset


def parse_yaml(
    text: str, rel: str, *, line_offset: int = 0, round_trip: bool = False
) -> YamlDocument:
    """Parse YAML TEXT; any problem is an InvalidInput naming REL and the line.

    libyaml reads what it reads exactly as ruamel does (see `fastyaml`); ruamel
    reads the rest, and so reports every error. ROUND_TRIP reads with ruamel
    straight away, for a document whose `tree` is to be changed and written.
    """
    from factory_os import fastyaml

    fast = None if round_trip else fastyaml.load(text, MAX_YAML_NODES, MAX_YAML_DEPTH)
    if fast is not None:
        return YamlDocument(fast.plain, rel, line_offset, text, fast)
    tree, plain = _parse_round_trip(text, rel, line_offset)
    return YamlDocument(plain, rel, line_offset, text, _tree=tree)


def _parse_round_trip(text: str, rel: str, line_offset: int) -> tuple[Any, Any]:
    """(ruamel's round-trip tree, its plain copy) of TEXT, or InvalidInput."""
    rt = _ruamel()
    try:
        with warnings.catch_warnings():
            # ruamel warns on stderr about legal YAML (a reused anchor name): not our output
            warnings.simplefilter("ignore")
            tree = _yaml().load(text)
    except rt.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = _line_at(text, mark.index) if mark is not None else 0
        message = (exc.problem or exc.context or "").strip().split("\n")[0] or "syntax error"
        message = f"invalid YAML: {message}"
        # only where YAML fails: a tab inside a block scalar or a flow collection is fine
        if line and text.split("\n")[line - 1].lstrip(" ").startswith("\t"):
            message = "tab in indentation (YAML indents with spaces)"
        raise InvalidInput.one(rel, line + line_offset if line else line_offset, message) from None
    except rt.ReaderError as exc:
        # a control character YAML forbids; its position is an index into TEXT
        where = _line_at(text, exc.position) + line_offset
        message = f"invalid YAML: control character U+{exc.character:04X} is not allowed"
        raise InvalidInput.one(rel, where, message) from None
    except rt.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInput.one(rel, line_offset, f"invalid YAML: {first}") from None
    except RecursionError:
        raise InvalidInput.one(rel, line_offset, "invalid YAML: nesting too deep") from None
    return tree, _to_plain(tree, _Expansion(rel, offset=line_offset, line=line_offset + 1))


def _line_at(text: str, index: int) -> int:
    """The line of character INDEX, counting only \\n as editors and `grep -n` do (ruamel's
    own line numbers also count U+0085, U+2028 and U+2029, which text pasted from the web
    carries)."""
    return text.count("\n", 0, max(index, 0)) + 1


def load_yaml(path: Path, rel: str) -> YamlDocument:
    return parse_yaml(read_text(path, rel), rel)


@dataclass
class _Expansion:
    """The node budget of one document, and the line of the top-level entry being expanded."""

    rel: str
    offset: int
    line: int = 0
    nodes: int = 0


def _to_plain(node: Any, expansion: _Expansion, depth: int = 0) -> Any:
    """A plain dict/list copy of a ruamel tree; aliases count against a node budget."""
    expansion.nodes += 1
    if expansion.nodes > MAX_YAML_NODES or depth > MAX_YAML_DEPTH:
        raise InvalidInput.one(
            expansion.rel,
            expansion.line,
            "YAML too large or too deep once aliases are expanded (alias bomb?)",
        )
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            if depth == 0:
                expansion.line = _entry_line(node, key, expansion)
            out[_scalar(key)] = _to_plain(value, expansion, depth + 1)
        return out
    if isinstance(node, list):
        items = []
        for index, item in enumerate(node):
            if depth == 0:
                expansion.line = _entry_line(node, index, expansion)
            items.append(_to_plain(item, expansion, depth + 1))
        return items
    return _scalar(node)


def _entry_line(node: Any, key: Any, expansion: _Expansion) -> int:
    """The line of KEY in NODE as the file numbers it (merged `<<` keys keep the last)."""
    lc: Any = getattr(node, "lc", None)
    try:
        position = lc.item(key) if isinstance(node, _ruamel().CommentedSeq) else lc.key(key)
    except (AttributeError, KeyError, TypeError):
        return expansion.line
    return expansion.offset + int(position[0]) + 1


def _scalar(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, _ruamel().ScalarBoolean):  # an anchored `true` is an int subclass
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, datetime):
        return datetime.fromisoformat(value.isoformat()) if hasattr(value, "isoformat") else value
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, str):
        return str(value)
    return value


def _line_of(tree: Any, loc: tuple[int | str, ...]) -> int:
    """The 1-based line of the deepest part of LOC found in TREE (1 if none)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    line = 0
    node = tree
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0]
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0]
            node = node[part]
        # parts that name no key (union tags like 'path-guard') are passed over
    return line + 1


def split_front_matter(text: str, rel: str) -> tuple[str, str, int]:
    """(front matter, body, line of the body) of a Markdown file with `---` front matter."""
    # a byte order mark, as some Windows editors write, is not part of the first line
    lines = text.removeprefix("\ufeff").split("\n")  # not splitlines(): see _line_at
    if lines[0].rstrip("\r") != "---":
        raise InvalidInput.one(rel, 1, "missing YAML front matter (the file must start with ---)")
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r") in ("---", "..."):
            front = "".join(line + "\n" for line in lines[1:index])
            return front, "\n".join(lines[index + 1 :]), index + 2
    raise InvalidInput.one(rel, 1, "front matter is not closed by a --- line")


def validate(model: type[M], doc: YamlDocument, *, context: dict[str, Any] | None = None) -> M:
    """DOC as a MODEL; every schema error becomes a Problem at its line."""
    from pydantic import ValidationError

    if doc.plain is None:
        raise InvalidInput.one(doc.rel, doc.line_offset + 1, "empty document")
    try:
        return model.model_validate(doc.plain, context=context)
    except ValidationError as exc:
        raise InvalidInput(problems_of(exc, doc)) from None


def problems_of(exc: ValidationError, doc: YamlDocument) -> Iterator[Problem]:
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        where = ".".join(str(part) for part in loc)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        yield Problem(doc.rel, doc.line_of(loc), f"{where}: {message}" if where else message)


# -- writing ---------------------------------------------------------------


def dump_yaml(tree: Any, *, schema: str | None = None) -> str:
    """YAML text for TREE (a plain or round-trip structure), with a schema modeline."""
    buffer = io.StringIO()
    _yaml().dump(_commented(tree), buffer)
    text = buffer.getvalue()
    if schema is None:
        return text
    # a tree read from a file keeps that file's modeline as a comment: replace it, not repeat it
    lines = text.split("\n")
    head = 0
    while head < len(lines) and lines[head].startswith("#"):
        head += 1
    kept = [line for line in lines[:head] if not line.startswith(MODELINE_PREFIX)]
    return "\n".join([f"{MODELINE_PREFIX}{schema}", *kept, *lines[head:]])


def _commented(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, CommentedMap | CommentedSeq):
        return value
    if isinstance(value, Mapping):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _commented(item)
        return out
    if isinstance(value, list | tuple):
        return CommentedSeq(_commented(item) for item in value)
    return value


def schema_ref(path: Path, factory: Factory, kind: str) -> str:
    """The relative path from PATH to the editor schema of KIND under .factory/schemas/."""
    target = factory.dir / SCHEMA_DIR / f"{kind}.schema.json"
    return Path(os.path.relpath(target, path.parent)).as_posix()
