"""The ledger lines a range adds, checked as `fos verify` checks a line (built in).

Anyone can write a segment by hand. Each line a range adds must be an entry fos
could have written: in the canonical frame, its id the hash of its bytes, and
each of its parents an entry of the ledger the range leaves (one the range adds
before it, or one at the head). A line that is not is a blocking finding
(`fos:ledger-integrity`), whatever the rule files say, and it counts for
nothing: provenance and approvals never see it (the operating model's checks
may judge it too, but the range is refused whatever they say). That a committed
line is never changed or removed is the `core` pack's append-only rule.

Only the added lines are read, from the one bulk patch fetch; parents outside
them are looked up at the head in one `git grep`, and only when there are any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from factory_os.paths import LEDGER_DIR, is_segment
from factory_os.rules.change import Change
from factory_os.rules.context import CheckContext
from factory_os.rules.finding import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from factory_os.records import NamedTuple

RULE_ID = "fos:ledger-integrity"
EDITED = "its id does not match its bytes (edited, or its id forged)"

# the lines holding any of some literals, in the ledger at the head
LinesAt = Callable[[Sequence[str]], Iterable[bytes]]


class Unsound(NamedTuple):
    """Where a line no entry is: the commit that adds it, the segment, the line."""

    commit: str | None
    path: str
    line: int


def check(changes: Sequence[Change], ctx: CheckContext) -> tuple[list[Finding], set[Unsound]]:
    """The findings about the lines CHANGES add to segments, and where those lines are.
    Lines are asked for by `provenance.plan`."""
    added: list[tuple[Change, str, int, str]] = []  # change, segment, line, problem or ""
    findings_outside: list[Finding] = []  # files under the ledger's directory that are no segment
    parents: list[tuple[str, ...]] = []
    ids: set[str] = set()
    for change in changes:
        if change.commit is None:
            continue
        for f in change.files:
            if f.status != "D" and _stray_path(f.path):
                findings_outside.append(_stray(change, f.path))
            if not is_segment(f.path) or f.status == "D":
                continue
            # only for a range adding to a segment: the JSON decoders cost an import
            from factory_os.ledger.line import Envelope, entry_id, parse_envelope

            for number, text in ctx.contents.added(change.commit, f.path):
                raw = text.encode("utf-8")
                envelope = parse_envelope(raw)
                problem = "" if isinstance(envelope, Envelope) else envelope
                named: tuple[str, ...] = ()
                if isinstance(envelope, Envelope):
                    ident = envelope.id.decode("ascii", "replace")
                    if entry_id(raw[65:]) != ident:
                        problem = EDITED
                    elif isinstance(full := ctx.contents.entry(text), str):
                        problem = full
                    else:
                        ids.add(ident)
                        named = tuple(p.decode("ascii", "replace") for p in envelope.parents)
                added.append((change, f.path, number, str(problem)))
                parents.append(named)
    outside = sorted({p for named in parents for p in named} - ids)
    known = ids | _at_head(ctx.ledger_at_head, outside)
    findings, unsound = findings_outside, set()
    for (change, path, number, problem), named in zip(added, parents, strict=True):
        missing = [p for p in named if p not in known]
        if missing and not problem:
            problem = f"names as its parent {missing[0][:12]}, which is no entry of the ledger"
        if not problem:
            continue
        unsound.add(Unsound(change.commit, path, number))
        findings.append(
            Finding(
                RULE_ID,
                "block",
                f"ledger line {path}:{number} is no entry fos wrote: {problem}; a line"
                " written by hand counts for nothing (`fos verify` checks the ledger)",
                path,
                number,
                change.commit,
                change.member_name,
            )
        )
    return findings, unsound


def _stray_path(path: str) -> bool:
    """Whether PATH is a file under the ledger's directory that is no segment (the
    `.gitkeep` fos init leaves there aside)."""
    return (
        path.startswith(LEDGER_DIR + "/")
        and not is_segment(path)
        and path != f"{LEDGER_DIR}/.gitkeep"
    )


def _stray(change: Change, path: str) -> Finding:
    return Finding(
        RULE_ID,
        "block",
        f"{path} is under the ledger's directory but is no segment (a `*.jsonl` file"
        f" directly in {LEDGER_DIR}/): the ledger is written by fos only; remove it",
        path,
        0,
        change.commit,
        change.member_name,
    )


def _at_head(lines_at: LinesAt | None, wanted: Sequence[str]) -> set[str]:
    """Those of WANTED (ids) that are the ids of lines at the head."""
    if not wanted or lines_at is None:
        return set()
    hexes = [w for w in wanted if len(w) == 64 and all(c in "0123456789abcdef" for c in w)]
    if not hexes:
        return set()
    found = {line[:64].decode("ascii", "replace") for line in lines_at(hexes)}
    return found & set(hexes)
