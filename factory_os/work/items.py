"""Work items as the ledger tells them: each item's stage, roles and gate inputs.

Nothing here reads a file: `fold` replays the lifecycle events (in replay
order, see `work.replay`) into one `Item` per spec id, so the CLI and the
pull-request check derive the same state from the same entries.

What counts at a gate is what was recorded while the item was at that stage:
entering a stage (forward or back) starts its evidence, sign-offs and vetoes
afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from sys import intern
from typing import Any

from factory_os.ledger.entry import Entry, Ref
from factory_os.work.operating import ROLE_FIELDS, role_field

CREATED = "spec.created"
EVIDENCE = "evidence.recorded"
SIGNOFF = "signoff"
VETOED = "signoff.vetoed"
ADVANCED = "stage.advanced"
RETURNED = "stage.returned"
TRANSFERRED = "owner.transferred"
MAINTAINED = "maintenance.logged"
RETIRED = "spec.retired"
KINDS = (CREATED, EVIDENCE, SIGNOFF, VETOED, ADVANCED, RETURNED, TRANSFERRED, MAINTAINED, RETIRED)
# the kinds that record a file (their refs are its digest); any other kind's refs record nothing
RECORDING = frozenset((CREATED, EVIDENCE, TRANSFERRED, MAINTAINED, RETIRED))
# the record `fos spec retire` writes in the item's folder
RETIREMENT_FILE = "retirement.md"
SPEC_FILE = "spec.md"
# the finding (and refusal) when a recorded spec or evidence file was edited by hand
HAND_EDIT_RULE = "fos:lifecycle-hand-edit"

EvidenceKey = tuple[str, str, str]  # stage, evidence name, platform ("" when not per platform)


class Item:
    """One work item, as far as the ledger has told it. (A plain class: `dataclasses`
    costs a check that loads a few items more to import than the items cost.)"""

    def __init__(
        self,
        id: str,
        stage: str,
        roles: dict[str, str],
        risk: str,
        reasoned: bool,
        platforms: list[str],
        created: Entry,
        entered: Entry,
        evidence: dict[EvidenceKey, Entry] | None = None,
        signoffs: list[Entry] | None = None,
        vetoes: list[Entry] | None = None,
        passed: list[str] | None = None,
        resignoffs: list[Entry] | None = None,
        transfers: dict[str, Entry] | None = None,
        maintained: Entry | None = None,
        retired: Entry | None = None,
        refs: dict[str, str] | None = None,
        recorded_for: dict[str, str] | None = None,
    ) -> None:
        self.id = id
        self.stage = stage
        self.roles = roles  # front-matter field (owner, builder, ...) -> member id
        self.risk = risk
        self.reasoned = reasoned  # the spec records why two roles share one member
        self.platforms = platforms
        self.created = created
        self.entered = entered  # the entry that brought the item to its current stage
        self.evidence: dict[EvidenceKey, Entry] = {} if evidence is None else evidence
        self.signoffs: list[Entry] = [] if signoffs is None else signoffs
        self.vetoes: list[Entry] = [] if vetoes is None else vetoes
        self.passed: list[str] = [] if passed is None else passed  # stages left forward
        self.resignoffs: list[Entry] = [] if resignoffs is None else resignoffs  # of passed
        self.transfers: dict[str, Entry] = {} if transfers is None else transfers  # role ->
        self.maintained = maintained
        self.retired = retired
        self.refs: dict[str, str] = {} if refs is None else refs  # path -> last sha256
        # evidence path -> the stage whose evidence it was recorded as
        self.recorded_for: dict[str, str] = {} if recorded_for is None else recorded_for

    def __eq__(self, other: object) -> bool:
        return type(other) is Item and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Item({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    def holder(self, role: str) -> str | None:
        """The member holding raci ROLE on this item, when the spec names one."""
        return self.roles.get(role_field(role))

    def names_role(self, role: str) -> bool:
        return role_field(role) in ROLE_FIELDS


def fold(entries: Iterable[Entry], items: dict[str, Item] | None = None) -> dict[str, Item]:
    """Every item the lifecycle events ENTRIES (in replay order) tell of, by id, folded
    onto ITEMS when given."""
    items = {} if items is None else items
    for entry in entries:
        step(items, entry)
    return items


# how an item is kept between runs (`work.projection`, `work.replay.Base`): plain values,
# entries as tuples. Their short strings are interned (kinds, actors, stages, roles, the
# keys of their data): marshal writes each once per item and reads the others back as
# references, and a check loading the items its change names loads thousands of entries.
_ENTRY_LISTS = ("signoffs", "vetoes", "resignoffs")
_ENTRY_ONE = ("created", "entered", "maintained", "retired")
_new_entry = partial(tuple.__new__, Entry)


def _dump_entry(entry: Entry) -> tuple[Any, ...]:
    data = {intern(k): intern(v) if type(v) is str else v for k, v in entry.data.items()}
    refs = tuple(tuple(ref) for ref in entry.refs)
    return (entry.id, intern(entry.kind), intern(entry.at), intern(entry.actor),
            intern(entry.subject), refs, entry.parents, data, intern(entry.segment),
            entry.line, entry.height)  # fmt: skip


def _load_entry(values: tuple[Any, ...]) -> Entry:
    refs = values[5]
    if refs:  # (rebuilt only when there are some)
        values = (*values[:5], tuple([Ref(path, sha) for path, sha in refs]), *values[6:])
    return _new_entry(values)


def _load_entries(rows: list[tuple[Any, ...]]) -> list[Entry]:
    return [_load_entry(row) if row[5] else _new_entry(row) for row in rows]


def dump(item: Item) -> dict[str, Any]:
    data: dict[str, Any] = dict(vars(item))
    for name in _ENTRY_LISTS:
        data[name] = [_dump_entry(e) for e in data[name]]
    for name in _ENTRY_ONE:
        data[name] = None if data[name] is None else _dump_entry(data[name])
    data["evidence"] = [(key, _dump_entry(e)) for key, e in item.evidence.items()]
    data["transfers"] = {role: _dump_entry(e) for role, e in item.transfers.items()}
    return data


def load(data: dict[str, Any]) -> Item:
    values = dict(data)
    for name in _ENTRY_LISTS:
        values[name] = _load_entries(values[name])
    for name in _ENTRY_ONE:
        values[name] = None if values[name] is None else _load_entry(values[name])
    values["evidence"] = {tuple(key): _load_entry(e) for key, e in values["evidence"]}
    values["transfers"] = {role: _load_entry(e) for role, e in values["transfers"].items()}
    return Item(**values)


def step(items: dict[str, Item], entry: Entry) -> None:
    """Apply one lifecycle event. An event about an unknown item, or one that does not
    apply (a second creation), changes nothing: the pull-request check reports it."""
    item = items.get(entry.subject)
    if entry.kind == CREATED:
        if item is None:
            items[entry.subject] = _created(entry)
        return
    if item is None or item.retired is not None:
        return
    data = entry.data
    if entry.kind in RECORDING:
        for ref in entry.refs:
            if records(item, entry, ref.path):
                item.refs[ref.path] = ref.sha256
    if entry.kind == EVIDENCE:
        item.evidence[evidence_key(data)] = entry
        for ref in entry.refs:
            item.recorded_for.setdefault(ref.path, str(data.get("stage", "")))
    elif entry.kind == SIGNOFF:
        if data.get("stage") == item.stage:
            item.signoffs.append(entry)
        elif data.get("stage") in item.passed:
            item.resignoffs.append(entry)
    elif entry.kind == VETOED:
        if data.get("stage") == item.stage:
            item.vetoes.append(entry)
    elif entry.kind in (ADVANCED, RETURNED) and isinstance(data.get("to"), str):
        if entry.kind == ADVANCED:
            item.passed.append(item.stage)
        else:
            item.passed = item.passed[: _index(item.passed, data["to"])]
        _enter(item, data["to"], entry)
    elif entry.kind == TRANSFERRED:
        role = data.get("role", "owner")
        if isinstance(role, str) and isinstance(data.get("to"), str):
            item.roles[role_field(role)] = data["to"]
            item.transfers[role] = entry
            # a sign-off given in that role before the transfer counts no more
            item.resignoffs = [e for e in item.resignoffs if e.data.get("role") != role]
    elif entry.kind == MAINTAINED:
        item.maintained = entry
    elif entry.kind == RETIRED:
        item.retired = entry


def records(item: Item, entry: Entry, path: str) -> bool:
    """ENTRY (of a kind that records a file) may record PATH: a transfer only the spec it
    rewrites, a maintenance log or retirement only a file no entry recorded before (they
    write a new one), evidence only a file no other stage's evidence recorded. (Which file
    each kind's command names is the pull-request check's to judge: it has the model.)"""
    if entry.kind == TRANSFERRED:
        return is_spec(item, path)
    if entry.kind in (MAINTAINED, RETIRED):
        return path not in item.refs
    if entry.kind == EVIDENCE:
        stage = str(entry.data.get("stage", ""))
        return item.recorded_for.get(path, stage) == stage
    return entry.kind == CREATED


def folder(item: Item) -> str | None:
    """The factory-relative folder of ITEM's files (its spec's), when its creation names it."""
    for ref in item.created.refs:
        head, slash, name = ref.path.rpartition("/")
        if slash and name == SPEC_FILE:
            return head
    return None


def is_spec(item: Item, path: str) -> bool:
    """PATH is ITEM's spec (the file its creation recorded)."""
    return any(ref.path == path for ref in item.created.refs)


def evidence_key(data: dict[str, Any]) -> EvidenceKey:
    return (
        str(data.get("stage", "")),
        str(data.get("evidence", "")),
        str(data.get("platform", "")),
    )


def _created(entry: Entry) -> Item:
    data = entry.data
    roles = data.get("roles")
    platforms = data.get("platforms") if isinstance(data.get("platforms"), list) else []
    item = Item(
        id=entry.subject,
        stage=str(data.get("stage", "")),
        roles={k: v for k, v in roles.items() if isinstance(v, str)}
        if isinstance(roles, dict)
        else {},
        risk=str(data.get("risk", "high")),
        reasoned=bool(data.get("reasoned")),
        platforms=[p for p in platforms if isinstance(p, str)]
        if isinstance(platforms, list)
        else [],
        created=entry,
        entered=entry,
    )
    for ref in entry.refs:
        item.refs[ref.path] = ref.sha256
    return item


def _enter(item: Item, stage: str, entry: Entry) -> None:
    item.stage = stage
    item.entered = entry
    item.evidence = {key: e for key, e in item.evidence.items() if key[0] != stage}
    item.signoffs = []
    item.vetoes = []


def _index(stages: list[str], stage: str) -> int:
    return stages.index(stage) if stage in stages else len(stages)
