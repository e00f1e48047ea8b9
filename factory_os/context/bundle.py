"""The session-start bundle (DESIGN section 6): what an agent is shown, within a budget.

Sections, in this order: the active rules that bind the role and the paths,
blocking ones first; the accepted DNA decisions; open items (the latest
handoff, escalations, overrides on the paths: `factory_os.work.open_items`),
always shown; the knowledge notes whose paths or tags match; the latest session
digests. Every blocking rule that binds is always shown: when they do not all
fit the budget, building the bundle fails (`BudgetTooSmall`) rather than leave
one out. The other items are taken in order while they fit; an item that does
not fit is listed, by id, in `omitted`, and smaller items after it may still be
taken.

The bundle is deterministic: the same files give the same bytes (no clock, no
environment, stable order). Its manifest names each item with the sha256 of its
rendered text; the manifest hash is the sha256 of the canonical JSON (the
ledger's profile, `factory_os.ledger.canonical`) of the items sorted by (kind,
id), each item `{"digest", "id", "kind"}`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factory_os.errors import FosError, UsageError
from factory_os.ledger import canonical
from factory_os.memory.catalog import Catalog, DecisionInfo, DigestInfo, NoteInfo, RuleInfo
from factory_os.rules import pathmatch
from factory_os.rules.finding import severity_rank
from factory_os.rules.scope import roles_bind
from factory_os.store import Factory
from factory_os.work.open_items import open_items

if TYPE_CHECKING:
    from typing import NamedTuple
else:  # a class of typing's costs a millisecond to make, a thousand of them to fill
    from factory_os.records import NamedTuple

CHARS_PER_TOKEN = 4
# room kept for the list of what was left out
OMITTED_RESERVE_CHARS = 240
SECTION_TITLES = {
    "rule": "Rules that bind you",
    "decision": "Architecture decisions (DNA)",
    "knowledge": "Knowledge",
    "digest": "Latest session digests",
}
# open items come before these sections: what is pending outranks background
AFTER_OPEN_ITEMS = ("knowledge", "digest")
SHOW_HINT = (
    "Ask for any of them by id: `fos dna show D-...`, `fos rule show R-...`,"
    " `fos knowledge show SLUG`; digests are .factory/digests/S-....md."
)


def estimate_tokens(text: str) -> int:
    """Tokens of TEXT, estimated as characters / 4 (rounded up)."""
    return tokens_for(len(text))


def tokens_for(chars: int) -> int:
    return -(-chars // CHARS_PER_TOKEN)


class BudgetTooSmall(FosError):
    """The blocking rules that bind do not all fit the budget (exit 1: none is dropped)."""


class Item(NamedTuple):
    id: str
    kind: str
    text: str
    binding: bool = False  # a blocking rule: shown whatever the budget, or no bundle

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)


class Selection(NamedTuple):
    """Whom and what the bundle is for; an empty field does not narrow anything."""

    role: str | None = None
    member: str | None = None
    roles: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


class ContextBundle(NamedTuple):
    selection: Selection
    budget: int
    items: tuple[Item, ...]
    omitted: tuple[Item, ...]
    open_items: tuple[str, ...]
    text: str

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)

    @property
    def manifest_items(self) -> list[dict[str, str]]:
        return [{"id": i.id, "kind": i.kind, "digest": i.digest} for i in self.items]

    @property
    def manifest_hash(self) -> str:
        return manifest_hash(self.manifest_items)

    def to_json(self) -> dict[str, Any]:
        s = self.selection
        return {
            "role": s.role,
            "member": s.member,
            "roles": list(s.roles),
            "paths": list(s.paths),
            "tags": list(s.tags),
            "budget": self.budget,
            "tokens": self.tokens,
            "items": [
                {"id": i.id, "kind": i.kind, "tokens": i.tokens, "text": i.text} for i in self.items
            ],
            "omitted": [{"id": i.id, "kind": i.kind, "tokens": i.tokens} for i in self.omitted],
            "open_items": list(self.open_items),
            "text": self.text,
            "manifest": {"hash": self.manifest_hash, "items": self.manifest_items},
        }


def manifest_hash(items: Sequence[dict[str, str]]) -> str:
    ordered = sorted(items, key=lambda i: (i["kind"], i["id"]))
    return hashlib.sha256(canonical.dumps(ordered)).hexdigest()


def build_context(
    factory: Factory,
    *,
    role: str | None = None,
    member: str | None = None,
    paths: Sequence[str] = (),
    tags: Sequence[str] = (),
    budget: int | None = None,
    digests: int | None = None,
    catalog: Catalog | None = None,
) -> ContextBundle:
    """The bundle for ROLE / MEMBER working on PATHS, within BUDGET tokens, with the
    DIGESTS latest digests (default: context.digests in factory.yaml)."""
    own = catalog is None
    catalog = catalog or Catalog(factory)
    try:
        settings = catalog.settings()
        relative = [_relative(factory, p) for p in paths]
        selection = _selection(catalog, role, member, relative, tags)
        candidates = [
            *(_rule_item(r) for r in select_rules(catalog.rules_with_status(), selection)),
            *(_decision_item(d) for d in catalog.decisions() if d.status == "accepted"),
            *(_note_item(n) for n in select_notes(catalog.notes(), selection)),
            *(
                _digest_item(d)
                for d in catalog.latest_digests(settings.digests if digests is None else digests)
            ),
        ]
        # before the catalog is closed: the catalogs of one factory share its cache,
        # which is then written once, with what the open items read too
        pending = open_items(
            factory, member=selection.member, roles=selection.roles, paths=selection.paths
        )
    finally:
        if own:
            catalog.close()
    return _fit(selection, budget or settings.budget_tokens, candidates, pending)


def _relative(factory: Factory, path: str) -> str:
    """PATH relative to the factory root, where scopes are anchored, if it is absolute."""
    if not os.path.isabs(path):
        return path
    try:
        return Path(path).resolve().relative_to(factory.root.resolve()).as_posix()
    except ValueError:
        return path


def _selection(
    catalog: Catalog,
    role: str | None,
    member: str | None,
    paths: Sequence[str],
    tags: Sequence[str],
) -> Selection:
    roles: tuple[str, ...] = ()
    member_id = None
    if member:
        member_id, member_roles = _find_member(catalog, member)
        roles = member_roles
    if role:
        known = catalog.role_names()
        if role not in known:
            raise UsageError(f"unknown role {role!r} (roles.yaml defines: {', '.join(known)})")
        if member_id is not None and role not in roles:
            raise UsageError(
                f"member {member_id} does not hold role {role} (roles: {', '.join(roles)})"
            )
        roles = (role,)
    clean_paths = tuple(dict.fromkeys(p.strip().removeprefix("./") for p in paths if p.strip()))
    return Selection(
        role=role,
        member=member_id,
        roles=roles,
        paths=clean_paths,
        tags=tuple(dict.fromkeys(t for t in tags if t)),
    )


def _find_member(catalog: Catalog, name: str) -> tuple[str, tuple[str, ...]]:
    members = catalog.members()
    if name in members:
        return name, members[name][0]
    for member_id, (roles, emails) in sorted(members.items()):
        if name.lower() in emails:
            return member_id, roles
    raise UsageError(f"no member {name!r} in team.yaml (members: {', '.join(sorted(members))})")


def select_rules(rules: Sequence[RuleInfo], selection: Selection) -> list[RuleInfo]:
    """The active rules binding the selection, blocking first, then by id."""
    chosen = [r for r in rules if r.status == "active" and rule_binds(r, selection)]
    return sorted(chosen, key=lambda r: (severity_rank(r.severity), r.id))


def rule_binds(rule: RuleInfo, selection: Selection) -> bool:
    """A rule binds when its roles bind one of the selection's roles (no role given:
    any), and its scope meets one of the selection's paths, as `fos check` decides."""
    if selection.roles and not roles_bind(rule.roles, selection.roles):
        return False
    return pathmatch.scope_meets(rule.paths, rule.exclude, selection.paths)


def select_notes(notes: Sequence[NoteInfo], selection: Selection) -> list[NoteInfo]:
    """Notes that concern the selection: by paths, by tags (roles count as tags), or
    notes with neither paths nor tags, which concern everyone."""
    tags = set(selection.roles) | set(selection.tags)
    chosen = []
    for note in notes:
        general = not note.paths and not note.tags
        by_paths = bool(note.paths) and (
            not selection.paths or pathmatch.overlaps(note.paths, selection.paths)
        )
        by_tags = bool(note.tags) and (not tags or bool(tags & set(note.tags)))
        if general or by_paths or by_tags:
            chosen.append(note)
    return chosen


# -- rendering ----------------------------------------------------------------


def demote(body: str, levels: int = 3) -> str:
    """BODY with its Markdown headings pushed LEVELS deeper (at most `######`), so a
    note's `## Done` cannot pose as one of the bundle's own sections."""
    out = []
    fence = False
    for line in body.splitlines():
        if line.startswith(("```", "~~~")):
            fence = not fence
        if not fence and line.startswith("#"):
            marks = len(line) - len(line.lstrip("#"))
            if line[marks : marks + 1] in (" ", ""):
                line = "#" * min(6, marks + levels) + line[marks:]
        out.append(line)
    return "\n".join(out)


def _decision_item(d: DecisionInfo) -> Item:
    lines = [f"### {d.id}: {d.title}"]
    if d.paths:
        lines.append(f"Paths: {', '.join(d.paths)}")
    if d.body:
        lines += ["", demote(d.body)]
    return Item(d.id, "decision", "\n".join(lines))


def _rule_item(r: RuleInfo) -> Item:
    return Item(r.id, "rule", f"- `{r.id}` ({r.severity}): {r.statement}", r.severity == "block")


def _note_item(n: NoteInfo) -> Item:
    lines = [f"### {n.title} (`{n.id}`)"]
    meta = []
    if n.paths:
        meta.append(f"Paths: {', '.join(n.paths)}")
    if n.tags:
        meta.append(f"Tags: {', '.join(n.tags)}")
    if meta:
        lines.append(". ".join(meta))
    if n.body:
        lines += ["", demote(n.body)]
    return Item(n.id, "knowledge", "\n".join(lines))


def _digest_item(d: DigestInfo) -> Item:
    who = f"{d.actor} as {d.role}" if d.role else d.actor
    lines = [f"### {d.session}: {who}, ended {d.ended_at}"]
    if d.commits:
        lines.append(f"Commits: {', '.join(c[:12] for c in d.commits)}")
    if d.body:
        lines += ["", demote(d.body)]
    return Item(d.session, "digest", "\n".join(lines))


def _header(selection: Selection) -> str:
    parts = []
    if selection.role or selection.roles:
        parts.append(f"role {', '.join(selection.roles)}")
    if selection.member:
        parts.append(f"member {selection.member}")
    if selection.paths:
        parts.append(f"paths {', '.join(selection.paths)}")
    if selection.tags:
        parts.append(f"tags {', '.join(selection.tags)}")
    who = "; ".join(parts) if parts else "every role and path (nothing narrowed it)"
    return f"# Factory context\n\nFor {who}.\n"


def _whom(selection: Selection) -> str:
    roles = f"role {', '.join(selection.roles)}" if selection.roles else "every role"
    paths = f"paths {', '.join(selection.paths)}" if selection.paths else "every path"
    return f"{roles} and {paths}"


def _open_items(items: tuple[str, ...]) -> str:
    """The section of open items; an item of several lines keeps its indentation."""
    body = "\n".join(f"- {item}" for item in items) if items else "None."
    return f"\n## Open items\n\n{body}\n"


def _chunk(item: Item, first_of_section: bool) -> str:
    heading = f"\n## {SECTION_TITLES[item.kind]}\n" if first_of_section else ""
    if item.kind == "rule":
        return f"{heading}{chr(10) if first_of_section else ''}{item.text}\n"
    return f"{heading}\n{item.text}\n"


def _fit(
    selection: Selection, budget: int, candidates: list[Item], open_items: tuple[str, ...] = ()
) -> ContextBundle:
    limit = budget * CHARS_PER_TOKEN
    header = _header(selection)
    tail = _open_items(open_items)
    frame = len(header) + len(tail) + OMITTED_RESERVE_CHARS
    room = limit - frame
    if room < 0:
        raise UsageError(f"a budget of {budget} tokens is too small (at least {tokens_for(frame)})")
    _require_binding(selection, budget, frame, candidates)
    chunks = [header]
    taken: list[Item] = []
    omitted: list[Item] = []
    started: set[str] = set()
    placed = False
    for item in candidates:
        if not placed and item.kind in AFTER_OPEN_ITEMS:
            chunks.append(tail)
            placed = True
        chunk = _chunk(item, item.kind not in started)
        if len(chunk) <= room:
            room -= len(chunk)
            chunks.append(chunk)
            taken.append(item)
            started.add(item.kind)
        else:
            omitted.append(item)
    if not placed:
        chunks.append(tail)
    if omitted:
        chunks.append(_omitted(omitted, room + OMITTED_RESERVE_CHARS))
    return ContextBundle(
        selection=selection,
        budget=budget,
        items=tuple(taken),
        omitted=tuple(omitted),
        open_items=open_items,
        text="".join(chunks),
    )


def _require_binding(selection: Selection, budget: int, frame: int, candidates: list[Item]) -> None:
    """Fail unless every blocking rule that binds fits in BUDGET next to the FRAME.

    They come first among the candidates (`build_context`), so when they fit here
    `_fit` takes every one of them."""
    binding = [item for item in candidates if item.binding]
    needed = frame + sum(len(_chunk(item, index == 0)) for index, item in enumerate(binding))
    if needed > budget * CHARS_PER_TOKEN:
        minimum = tokens_for(needed)
        raise BudgetTooSmall(
            f"the {len(binding)} blocking rules that bind {_whom(selection)} need a budget of"
            f" at least {minimum} tokens, not {budget}; none is left out: raise --budget"
            " (or context.budget_tokens in factory.yaml), or narrow --role and --paths"
        )


def _omitted(omitted: list[Item], room: int) -> str:
    """The ids left out, as many as fit in ROOM characters, then a count of the rest."""
    head = f"\n## Not included (over the budget)\n\n{SHOW_HINT}\n"

    def more(rest: int) -> str:
        return f" and {rest} more (`--format json` lists all)" if rest else ""

    shown = 0
    length = 0
    for index, item in enumerate(omitted):
        length += len(item.id) + (2 if index else 0)
        if len(head) + length + len(more(len(omitted) - index - 1)) + 1 > room:
            break
        shown = index + 1
    listing = ", ".join(item.id for item in omitted[:shown])
    rest = len(omitted) - shown
    if rest:
        listing = f"{listing}{more(rest)}" if shown else f"{rest} items (`--format json` lists all)"
    return f"{head}{listing}\n"
