"""One ledger line: `<64 hex id> <canonical JSON>\\n`, and how to read one back.

The id is sha256(DOMAIN + JSON bytes). A line is written once and then only ever
hashed: checking it means hashing the stored bytes, never serialising again.

Reading the DAG does not need a JSON parser either. Canonical JSON sorts the
top-level keys, so every entry ends with the same fixed frame:

    ...,"kind":"K","parents":["<id>",...],"refs":[{"path":"P","sha256":"<hex>"},...],
    "subject":"S","v":1}

None of those markers can occur inside a JSON string (they hold an unescaped
quote), and everything after `"data"` is checked against that frame, so the
last occurrence of each marker is the top-level one. `parse_envelope` reads
the frame by position; `parse_full` parses the whole line and refuses one
whose JSON disagrees with its frame, so the two readings can never differ.
"""

from __future__ import annotations

import hashlib
import json
import re
from itertools import chain
from operator import attrgetter
from typing import Annotated, Any, Literal, NamedTuple

from factory_os.ledger import canonical

# msgspec, imported on first use (`_codec`): None without it, and the standard
# library's decoder reads every line then. Importing it costs what reading about a
# thousand lines with the standard library does, and most commands read a few, so
# `parse_full` uses it only once the process has read LAZY_LINES lines.
msgspec: Any = ...
LAZY_LINES = 256

DOMAIN = b"factory-os/ledger/v1\0"
ID_HEX = 64
# `rule.added`, and the undotted `signoff` that DESIGN section 4 also names
KIND = re.compile(r"[a-z][a-z_]*(\.[a-z_]+)*")  # use fullmatch: `$` accepts a final newline

_START = b'{"actor":"'
_END = b',"v":1}'
_SUBJECT = b'],"subject":"'
_REFS = b'],"refs":['
_PARENTS = b',"parents":['
_KIND = b',"kind":"'
_STR = rb'"[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*"'
_REF = rb'\{"path":' + _STR + rb',"sha256":"[0-9a-f]{64}"\}'
_REFS_BODY = re.compile(rb"(?:" + _REF + rb"(?:," + _REF + rb")*)?")
_STRING = re.compile(_STR)
_KIND_BODY = re.compile(rb"[a-z][a-z_]*(?:\.[a-z_]+)*")


class Envelope(NamedTuple):
    """The parts of a line the DAG and the file checks need, as stored bytes."""

    id: bytes
    parents: tuple[bytes, ...]
    kind: bytes
    subject: bytes  # the JSON string, quotes included
    refs: bytes  # b"" or the JSON objects between the brackets


def id_text(ident: bytes) -> str:
    """IDENT, the 64 bytes a line starts with, as text: what a finding names, whatever
    those bytes are (a line whose id was changed may hold any)."""
    return ident.decode("ascii", "replace")


def entry_id(json_bytes: bytes) -> str:
    return hashlib.sha256(DOMAIN + json_bytes).hexdigest()


def encode(fields: dict[str, Any]) -> tuple[str, bytes]:
    """(id, line) for FIELDS; NotCanonical when they have no canonical form."""
    body = canonical.dumps(fields)
    ident = entry_id(body)
    return ident, ident.encode("ascii") + b" " + body + b"\n"


def parse_envelope(line: bytes) -> Envelope | str:
    """The frame of LINE (without its newline), or a sentence saying what is wrong."""
    if len(line) < ID_HEX + 2 or line[ID_HEX] != 0x20:
        return "not a ledger line (`<64 hex id> <JSON>`)"
    if not (line.startswith(_START, ID_HEX + 1) and line.endswith(_END)):
        return "not a ledger entry in canonical form"
    u = line.rfind(_SUBJECT)
    r = line.rfind(_REFS, 0, u)
    p = line.rfind(_PARENTS, 0, r)
    k = line.rfind(_KIND, 0, p)
    if min(u, r, p, k) < 0 or line[p - 1] != 0x22:
        return "not a ledger entry in canonical form"
    parents = split_parents(line[p + 12 : r])
    if parents is None:
        return "malformed parents"
    refs = line[r + 10 : u]
    if refs and not is_refs_body(refs):
        return "malformed refs"
    subject = line[u + 12 : -7]
    if _STRING.fullmatch(subject) is None or _KIND_BODY.fullmatch(line, k + 9, p - 1) is None:
        return "not a ledger entry in canonical form"
    return Envelope(line[:ID_HEX], parents, line[k + 9 : p - 1], subject, refs)


def split_parents(raw: bytes) -> tuple[bytes, ...] | None:
    """The ids in the stored parents list `"<id>","<id>"`; None if it is not one."""
    if len(raw) == 66:  # the common case: one parent
        return (raw[1:65],) if raw[0] == 0x22 and raw[65] == 0x22 else None
    if not raw:
        return ()
    items = raw.split(b",")
    if any(len(item) != 66 or item[0] != 0x22 or item[65] != 0x22 for item in items):
        return None
    return tuple(item[1:65] for item in items)


def is_refs_body(refs: bytes) -> bool:
    """Whether REFS, the bytes between the brackets of a refs list, are refs in the
    form fos writes, that JSON reads (`parse_refs` can read them)."""
    if _REFS_BODY.fullmatch(refs) is None:
        return False
    try:  # not UTF-8, an escape JSON does not have, or one no file name can hold
        "".join(path for path, _ in parse_refs(refs)).encode()
    except ValueError:
        return False
    return True


def parse_refs(refs: bytes) -> list[tuple[str, str]]:
    """(path, sha256) of each ref in an envelope's refs bytes (`is_refs_body`)."""
    if not refs:
        return []
    return [(item["path"], item["sha256"]) for item in json.loads(b"[" + refs + b"]")]


def parse_subject(subject: bytes) -> str:
    if b"\\" not in subject:
        return subject[1:-1].decode("utf-8", "replace")
    value = json.loads(subject)
    return value if isinstance(value, str) else ""


def _no_floats(text: str) -> Any:
    raise ValueError(f"float {text} in a ledger entry")


def _safe_int(text: str) -> int:
    value = int(text)
    if not -canonical.MAX_SAFE_INT <= value <= canonical.MAX_SAFE_INT:
        raise ValueError(f"integer {text} is outside plus or minus 2**53 - 1")
    return value


_DECODER = json.JSONDecoder(parse_float=_no_floats, parse_constant=_no_floats, parse_int=_safe_int)
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)
_FIELDS = {"v", "kind", "at", "actor", "subject", "refs", "parents", "data"}


def _frame_fields(fields: dict[str, Any]) -> str:
    """What is wrong with the fields the frame holds (what `parse_envelope` reads), or ""."""
    if fields["v"] != 1 or type(fields["v"]) is not int:
        return "not a ledger entry in canonical form (`v` must be 1)"
    if not isinstance(fields["kind"], str) or KIND.fullmatch(fields["kind"]) is None:
        return "not a ledger entry in canonical form (`kind` is not like `rule.added`)"
    parents = fields["parents"]
    if not isinstance(parents, list) or not all(
        isinstance(p, str) and _HEX_ID.fullmatch(p) for p in parents
    ):
        return "malformed parents"
    refs = fields["refs"]
    if not isinstance(refs, list) or not all(
        isinstance(r, dict)
        and r.keys() == {"path", "sha256"}
        and isinstance(r["path"], str)
        and isinstance(r["sha256"], str)
        and _HEX_ID.fullmatch(r["sha256"])
        for r in refs
    ):
        return "malformed refs"
    return ""


_HEX_ID = re.compile(r"[0-9a-f]{64}")


def parse_full(line: bytes) -> dict[str, Any] | str:
    """Every field of LINE (without its newline) as JSON, or a sentence saying what is
    wrong with it: the one check of a whole line, for readers and `fos verify` alike."""
    global _lines_read
    _lines_read += 1
    fields = _fast_fields(line) if _lines_read > LAZY_LINES or msgspec is not ... else None
    if fields is not None:
        return fields
    if len(line) < ID_HEX + 2 or line[ID_HEX] != 0x20:
        return "not a ledger line (`<64 hex id> <JSON>`)"
    try:
        text = line[ID_HEX + 1 :].decode("utf-8")
        fields, end = _DECODER.raw_decode(text)
    except (UnicodeDecodeError, ValueError) as exc:
        return f"not valid JSON: {exc}"
    if end != len(text) or not isinstance(fields, dict):
        return "not a single JSON object"
    if fields.keys() != _FIELDS:
        return f"fields are {sorted(fields)}, expected {sorted(_FIELDS)}"
    if not isinstance(fields["data"], dict) or not all(
        isinstance(fields[key], str) for key in ("at", "actor", "subject")
    ):
        return "`data` must be an object and `at`, `actor`, `subject` strings"
    problem = _frame_fields(fields)
    if problem:
        return problem
    try:
        # the C encoder gives the canonical bytes of ASCII text (the decoder refused
        # floats and integers beyond 2**53); non-ASCII keys need the profile's checks
        if text.isascii():
            canonical_form = _ENCODER.encode(fields) == text
        else:
            canonical_form = canonical.dumps(fields) == line[ID_HEX + 1 :]
    except canonical.NotCanonical as exc:
        return f"not in canonical form: {exc}"
    except (ValueError, UnicodeEncodeError):
        canonical_form = False
    if not canonical_form:
        return "not in canonical form (not written by fos)"
    return fields


def refused(lines: list[bytes]) -> dict[int, str]:
    """Index -> what `parse_full` says is wrong, for each of LINES (each without its
    newline) that it refuses. msgspec reads them, typed, and only when it cannot
    vouch for every one does `parse_full` read each (see `vouched`)."""
    spaced = all(line[ID_HEX : ID_HEX + 1] == b" " for line in lines)
    if spaced and vouched([line[ID_HEX + 1 :] for line in lines]) is not None:
        return {}
    verdicts = ((index, parse_full(line)) for index, line in enumerate(lines))
    return {index: verdict for index, verdict in verdicts if type(verdict) is str}


def vouched(bodies: list[bytes], *, parents: bool = True) -> list[Any] | None:
    """msgspec's typed reading (`.kind`, `.parents` as a tuple, `.refs`...) of BODIES,
    the JSON of lines `<id> <JSON>` (after the id and its space), when it shows that
    `parse_full` accepts every one of those lines; None when it cannot tell (without
    msgspec, or for text that is not ASCII), or refuses one: `parse_full` decides.
    Without PARENTS, that each parent is 64 hex digits is left to the caller
    (`hex_ids`), who knows most of them already."""
    if not bodies:
        return []
    codec = _codec()
    if codec is None:
        return None
    # one line each: the JSON text of an entry holds no newline (its strings escape it)
    text = b"\n".join(bodies) + b"\n"
    if not text.isascii():
        return None
    try:
        entries: list[Any] = codec.decode_lines(text)
    except codec.error:
        return None
    return entries if _vouch(codec, entries, text, parents=parents) else None


def _fast_fields(line: bytes) -> dict[str, Any] | None:
    """The fields of LINE when msgspec shows it is an entry `parse_full` accepts; None
    when it cannot tell, and the standard library's reading decides and words why."""
    body = line[ID_HEX + 1 :]
    if len(line) < ID_HEX + 2 or line[ID_HEX] != 0x20 or not body.isascii():
        return None
    codec = _codec()
    if codec is None:
        return None
    try:
        entry = codec.decode(body)
    except codec.error:
        return None
    if not _vouch(codec, [entry], body + b"\n"):
        return None
    fields: dict[str, Any] = codec.to_builtins(entry)
    return fields


def _vouch(codec: _Codec, entries: list[Any], text: bytes, *, parents: bool = True) -> bool:
    """Whether ENTRIES, msgspec's typed reading (`_Entry`) of the ASCII TEXT (the
    bodies, a newline after each), are entries `parse_full` accepts: its checks,
    batched and in C.

    The text is exactly what msgspec writes for the entries with sorted keys, one a
    line (the escapes are Python's; no entry's text holds a newline, so the lines
    are the bodies), so canonical JSON; every kind is like `rule.added` and
    every parent and ref digest 64 lowercase hex digits (each distinct kind checked
    once, the digests joined and checked at once); the data holds no float and no
    integer beyond 2**53 (the decoder's types refuse them, and any value nested
    deeper than they reach: `parse_full` reads such a line).
    """
    if codec.encode_lines(entries) != text:
        return False
    if not all(map(KIND.fullmatch, set(map(_kind_of, entries)))):
        return False
    digests = list(map(_sha256_of, chain.from_iterable(map(_refs_of, entries))))
    if parents:
        digests.extend(chain.from_iterable(map(_parents_of, entries)))
    return hex_ids(digests)


def hex_ids(texts: list[str]) -> bool:
    """Whether each of TEXTS is 64 lowercase hex digits (an id or a sha256)."""
    return not (set(map(len, texts)) - {ID_HEX} or "".join(texts).encode().translate(None, _HEX))


class _Codec(NamedTuple):
    """msgspec's typed reading and canonical writing of an entry (see `_vouch`)."""

    decode: Any
    decode_lines: Any  # of a text of `_Entry`s, one a line
    encode_lines: Any
    to_builtins: Any
    error: type[Exception]


_lines_read = 0
_codecs: dict[int, _Codec] = {}


def _codec() -> _Codec | None:
    """msgspec's codec, msgspec imported on first use; None without it."""
    global msgspec
    if msgspec is ...:
        msgspec = _import_msgspec()
    if msgspec is None:
        return None
    codec = _codecs.get(id(msgspec))
    if codec is None:
        codec = _codecs[id(msgspec)] = _make_codec(msgspec)
    return codec


def _import_msgspec() -> Any:
    try:
        import msgspec as module
    except ImportError:
        return None
    return module


# how deep msgspec reads lists and objects in an entry's data (deeper: `parse_full`)
NESTED = 6


def _make_codec(module: Any) -> _Codec:
    # a value in `data`: no float, no integer beyond 2**53, and lists and objects of
    # them nested at most NESTED deep (what `parse_full` reads as well, from `_vouch`)
    safe_int = Annotated[int, module.Meta(ge=-canonical.MAX_SAFE_INT, le=canonical.MAX_SAFE_INT)]
    scalar = str | bool | None | safe_int
    value: Any = scalar
    for _ in range(NESTED):
        value = scalar | list[value] | dict[str, value]
    ref = module.defstruct("Ref", [("path", str), ("sha256", str)], forbid_unknown_fields=True)

    def entry(name: str, parents: Any) -> Any:
        """An entry as `parse_full` reads it, its fields in canonical (sorted) order, its
        parents read as PARENTS (a list or a tuple of strings)."""
        fields = {
            "actor": str,
            "at": str,
            "data": dict[str, value],
            "kind": str,
            "parents": parents,
            "refs": list[ref],  # type: ignore[valid-type]
            "subject": str,
            "v": Literal[1],
        }
        # strings, lists and dicts of them: never in a cycle
        return module.defstruct(name, list(fields.items()), forbid_unknown_fields=True, gc=False)

    # in a batch, the parents as a tuple: a line's parents compared at once with the
    # one-tuple of the line before it
    batch = entry("Entries", tuple[str, ...])
    encoder = module.json.Encoder(order="sorted")
    return _Codec(
        module.json.Decoder(entry("Entry", list[str])).decode,
        module.json.Decoder(batch).decode_lines,
        encoder.encode_lines,
        module.to_builtins,
        module.DecodeError,
    )


_kind_of = attrgetter("kind")
_parents_of = attrgetter("parents")
_refs_of = attrgetter("refs")
_sha256_of = attrgetter("sha256")
_HEX = b"0123456789abcdef"
