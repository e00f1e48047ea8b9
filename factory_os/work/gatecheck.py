"""The pull-request check of the operating model: replay what a range adds to the ledger.

Anyone can write a ledger line by hand, so a gate that only the CLI enforces is
no gate. `check_range` replays the base's lifecycle events, then each entry the
range adds, in replay order, and judges every added event with the same
functions the CLI uses (`gates.evaluate`, `gates.refusal`, `evidence.figures_of`),
against the operating model as of the base. It is pure: the caller gives it
the entries, the member of the commit that added each one (identity as DESIGN
section 3 defines it), the model, and a way to read the range head's files.

Provenance is not judged here: the rule engine reports every entry whose actor
is not the member who committed it (`fos:entry-actor-mismatch`, built in), so
it is reported once, whichever checks run. What it refuses, each a blocking
finding with a `fos:lifecycle-*` rule id: a `stage.advanced` whose gate did not
hold at that point, or a `stage.returned` nothing called for; a sign-off or
veto its member may not give; evidence whose file does not match its digest,
or whose recorded figures are not the file's; refs on a line that records no file
(a sign-off, an advance), a transfer's naming another file than the spec, and evidence,
a maintenance log or a retirement naming another file than its command writes; a spec
whose owner or builder was edited by hand instead of transferred; a transfer,
retirement or maintenance log by a member `fos spec` would have refused
(`gates.transfer_refusal`, ...).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import NamedTuple

from factory_os.errors import InvalidInput
from factory_os.ledger.entry import Entry
from factory_os.rules.finding import Finding
from factory_os.work import gates, items
from factory_os.work.items import HAND_EDIT_RULE, Item
from factory_os.work.operating import PLATFORM, OperatingModel

Read = Callable[[str], bytes | None]  # factory-relative path -> its bytes at the head, or None
ReadAt = Callable[[str, str], bytes | None]  # (commit, path) -> its bytes there, or None

GATE_RULE = "fos:lifecycle-gate"
SIGNOFF_RULE = "fos:lifecycle-signoff"
EVIDENCE_RULE = "fos:lifecycle-evidence"
# the spec fields only `fos spec transfer` may change
GUARDED_FIELDS = ("owner", "builder")
SPEC_SUFFIX = "/spec.md"


class Added(NamedTuple):
    """An entry the range adds, and who added it: the member of its commit (None when
    the commit's author is no member)."""

    entry: Entry
    member: str | None
    commit: str | None  # None: the staged change


def check_range(
    base: Iterable[Entry],
    added: Sequence[Added],
    model: OperatingModel,
    read: Read,
    changed: Collection[str] = (),
    read_at: ReadAt | None = None,
) -> list[Finding]:
    """The findings of the entries ADDED on top of BASE (both in replay order); CHANGED
    are the paths the range modifies (recorded files and specs among them are compared)."""
    state = items.fold(e for e in base if e.kind in items.KINDS)
    return check_onto(state, added, model, read, changed, read_at)


def check_onto(
    state: dict[str, Item],
    added: Sequence[Added],
    model: OperatingModel,
    read: Read,
    changed: Collection[str] = (),
    read_at: ReadAt | None = None,
) -> list[Finding]:
    """As `check_range`, on the base's items already folded (STATE, folded onto).
    READ_AT reads a file as a commit of the range holds it: an event is judged on the
    files of its own commit where a later entry of the range records them again."""
    judge = _Judge(model, read, read_at)
    for index, add in enumerate(added):
        for ref in add.entry.refs:
            judge.last[ref.path] = index
    found: list[Finding] = []
    for index, add in enumerate(added):
        if add.entry.kind in items.KINDS:
            judge.at = (index, add.commit)
            found += judge.event(state, add)
            items.step(state, add.entry)
    judge.at = (len(added), None)
    found += judge.files(state, changed)
    return found


class _Judge:
    def __init__(self, model: OperatingModel, read: Read, read_at: ReadAt | None) -> None:
        self.model = model
        self.read = read
        self.read_at = read_at
        self._digests: dict[tuple[str | None, str], str | None] = {}
        self.last: dict[str, int] = {}  # path -> the index of the last entry recording it
        self.at: tuple[int, str | None] = (0, None)  # the event judged, and its commit

    def content(self, path: str) -> bytes | None:
        """PATH as the event judged sees it: the head's, unless a later entry of the range
        records it again (then its own commit's, when it has one)."""
        index, commit = self.at
        if commit is not None and self.read_at is not None and self.last.get(path, -1) > index:
            return self.read_at(commit, path)
        return self.read(path)

    def digest(self, path: str) -> str | None:
        index, commit = self.at
        key = (commit if self.last.get(path, -1) > index else None, path)
        if key not in self._digests:
            content = self.content(path)
            self._digests[key] = None if content is None else hashlib.sha256(content).hexdigest()
        return self._digests[key]

    def event(self, state: dict[str, Item], add: Added) -> list[Finding]:
        entry = add.entry
        item = state.get(entry.subject)
        if entry.kind == items.CREATED:
            return self._created(item, add)
        if item is None:
            return [_finding(GATE_RULE, f"{entry.kind} for {entry.subject}, no known item", add)]
        if entry.refs and entry.kind not in items.RECORDING:
            return [_stray_refs(item, add), *self._of_item(item, add)]
        return self._of_item(item, add)

    def _of_item(self, item: Item, add: Added) -> list[Finding]:
        entry = add.entry
        if entry.kind == items.ADVANCED:
            return self._advanced(item, add)
        if entry.kind == items.RETURNED:
            return self._returned(item, add)
        if entry.kind in (items.SIGNOFF, items.VETOED):
            return self._signed(item, add)
        if entry.kind == items.EVIDENCE:
            return self._evidence(item, add)
        if entry.kind == items.TRANSFERRED:
            return self._transferred(item, add)
        if entry.kind == items.RETIRED:
            problem = gates.retire_refusal(item, self.model, entry.actor)
            found = [_finding(gates.ROLE_RULE, f"{item.id}: {problem}", add)] if problem else []
            return found + _not_own(item, add, [items.RETIREMENT_FILE], "fos spec retire")
        if entry.kind == items.MAINTAINED:
            check = gates.maintenance_refusal(item, self.model, entry.actor)
            found = [_finding(check.rule, check.text, add)] if check is not None else []
            names = [kind.file for kind in self.model.gate(item.stage).evidence[:1]]
            return found + _not_own(item, add, names, "fos spec maintain")
        return []

    def _transferred(self, item: Item, add: Added) -> list[Finding]:
        """A role given on as `fos spec transfer` gives it: by whom it allows, to a member
        holding the role, with the spec it rewrote recorded as the head holds it."""
        data = add.entry.data
        role, to = data.get("role", self.model.lifecycle.owner_role), data.get("to")
        if not isinstance(role, str) or not isinstance(to, str) or not item.names_role(role):
            return [
                _finding(gates.ROLE_RULE, f"{item.id}: a transfer of no role a spec names", add)
            ]
        check = gates.transfer_refusal(item, self.model, add.entry.actor, role, to)
        found = [] if check.ok else [_finding(check.rule, f"{item.id}: {check.text}", add)]
        for ref in add.entry.refs:
            if not items.is_spec(item, ref.path):  # a transfer rewrites the spec, only it
                text = f"{item.id}: owner.transferred records {ref.path}, which is not its spec"
                found.append(_finding(EVIDENCE_RULE, text, add))
            elif self.digest(ref.path) != ref.sha256:
                text = f"{ref.path} does not match the digest its owner.transferred entry records"
                found.append(_finding(EVIDENCE_RULE, text, add, ref.path))
        return found

    def _created(self, item: Item | None, add: Added) -> list[Finding]:
        if item is not None:
            return [_finding(GATE_RULE, f"{add.entry.subject} is created a second time", add)]
        data = add.entry.data
        roles = data.get("roles") if isinstance(data.get("roles"), dict) else {}
        excused = data.get("risk") == "low" and bool(data.get("reasoned"))
        checks = gates.duty_checks(roles or {}, excused, self.model)
        return [_finding(gates.DUTIES_RULE, f"{add.entry.subject}: {c.text}", add) for c in checks]

    def _advanced(self, item: Item, add: Added) -> list[Finding]:
        gate = gates.evaluate(item, self.model, self.digest)
        data = add.entry.data
        if data.get("from") != item.stage or data.get("to") != gate.to:
            text = (
                f"{item.id}: stage.advanced from {data.get('from')} to {data.get('to')}, but the"
                f" item is at {item.stage} and its next stage is {gate.to}"
            )
            return [_finding(GATE_RULE, text, add)]
        if gate.holds:
            return []
        missing = "; ".join(
            f"{check.text} [{', '.join(check.who)}]" if check.who else check.text
            for check in gate.failing
        )  # each with who can unblock it, as the checklist says
        text = f"{item.id}: stage.advanced past {item.stage}, but its gate did not hold: {missing}"
        return [_finding(GATE_RULE, text, add)]

    def _returned(self, item: Item, add: Added) -> list[Finding]:
        gate = gates.evaluate(item, self.model, self.digest)
        if gate.sends_back and add.entry.data.get("to") == gate.returns_to:
            return []
        text = f"{item.id}: stage.returned from {item.stage}, but nothing sends it back"
        return [_finding(GATE_RULE, text, add)]

    def _signed(self, item: Item, add: Added) -> list[Finding]:
        entry = add.entry
        stage, role = str(entry.data.get("stage", "")), str(entry.data.get("role", ""))
        veto = entry.kind == items.VETOED
        allowed = self.model.gate(stage).veto if veto else self.model.signoff_roles(stage)
        resigning = stage in gates.resign_pending(item, self.model)
        if stage != item.stage and not resigning:
            text = f"{item.id}: a sign-off of {stage}, but the item is at {item.stage}"
            return [_finding(SIGNOFF_RULE, text, add)]
        if role not in allowed:
            holders = sorted({m for r in allowed for m in self.model.holders(item, r)})
            text = (
                f"{item.id}: {role} does not {'veto' if veto else 'sign'} {stage}"
                f" (lifecycle.yaml: {', '.join(allowed) or 'no role'};"
                f" on this item: {', '.join(holders) or 'no one'})"
            )
            return [_finding(SIGNOFF_RULE, text, add)]
        member = self.model.member(entry.actor)
        problem = (
            gates.refusal(item, self.model, member, stage, role)
            if member is not None
            else f"{entry.actor} is not a member of team.yaml"
        )
        if problem:
            rule = gates.DUTIES_RULE if "cannot sign" in problem else SIGNOFF_RULE
            return [_finding(rule, f"{item.id}: {problem}", add)]
        return []

    def _evidence(self, item: Item, add: Added) -> list[Finding]:
        entry = add.entry
        stage, name = str(entry.data.get("stage", "")), str(entry.data.get("evidence", ""))
        kinds = [k for k in self.model.gate(stage).evidence if k.name == name]
        if stage != item.stage or not kinds or len(entry.refs) != 1:
            text = f"{item.id}: evidence {name} of {stage} is not evidence the item's stage takes"
            return [_finding(EVIDENCE_RULE, text, add)]
        platform = entry.data.get("platform")
        name = kinds[0].file.replace(PLATFORM, platform if isinstance(platform, str) else "")
        stray = _not_own(item, add, [name], "fos spec evidence")
        if stray:
            return stray
        ref = entry.refs[0]
        content = self.content(ref.path)
        if content is None or hashlib.sha256(content).hexdigest() != ref.sha256:
            text = f"{ref.path} does not match the digest its evidence.recorded entry records"
            return [_finding(EVIDENCE_RULE, text, add, ref.path)]
        from factory_os.work import evidence

        try:
            figures = evidence.figures_of(kinds[0], content.decode("utf-8"), ref.path)
        except UnicodeDecodeError as exc:
            return [_finding(EVIDENCE_RULE, f"{ref.path}: not valid evidence: {exc}", add)]
        except InvalidInput as exc:  # each problem at its line, as `fos spec evidence` says it
            return [
                _finding(EVIDENCE_RULE, f"not valid evidence: {p.message}", add, p.path, p.line)
                for p in exc.problems
            ]
        if figures != entry.data.get("figures"):
            text = f"{ref.path}: the recorded figures are not the file's (the file says {figures})"
            return [_finding(EVIDENCE_RULE, text, add, ref.path)]
        return []

    def files(self, state: dict[str, Item], changed: Collection[str]) -> list[Finding]:
        """Recorded files the range changed without recording them again, and specs whose
        guarded fields were edited by hand (a spec's sections are written by hand)."""
        found = []
        for item in state.values():
            for path, sha in sorted(item.refs.items()):
                if path not in changed:
                    continue
                if path.endswith(SPEC_SUFFIX):
                    found += self._hand_edits(item, path)
                elif self.digest(path) != sha:
                    text = f"{path} was changed after it was recorded (sha256 {sha[:12]}...)"
                    found.append(_at(EVIDENCE_RULE, text, path))
        return found

    def _hand_edits(self, item: Item, path: str) -> list[Finding]:
        content = self.read(path)
        if content is None:
            return [_at(HAND_EDIT_RULE, f"{path}: the spec of {item.id} is gone", path)]
        from factory_os import store
        from factory_os.model.spec import SpecFrontMatter

        try:
            front, _body, _line = store.split_front_matter(content.decode("utf-8"), path)
            doc = store.parse_yaml(front, path, line_offset=1)
            spec = store.validate(SpecFrontMatter, doc)
        except (InvalidInput, UnicodeDecodeError) as exc:
            return [_at(HAND_EDIT_RULE, f"{path}: not a valid spec: {exc}", path)]
        found = []
        for name in GUARDED_FIELDS:
            recorded, written = item.roles.get(name), getattr(spec, name)
            if recorded != written:
                text = (
                    f"{path}: {name} is {written}, but the ledger says {recorded}: change it"
                    f" with `fos spec transfer {item.id} --role {name} --to ...`"
                )
                found.append(_at(HAND_EDIT_RULE, text, path, doc.line_of((name,))))
        return found


def _finding(
    rule: str, message: str, add: Added, path: str | None = None, line: int | None = None
) -> Finding:
    """A finding of the event ADD: at PATH:LINE when given (a file it records), else at
    the ledger line that adds it."""
    if path is None:
        path, line = add.entry.segment or None, add.entry.line or None
    return Finding(rule, "block", message, path, line or None, add.commit, add.member)


def _stray_refs(item: Item, add: Added) -> Finding:
    """A line of a kind that records no file names files: it records nothing, so a file
    it names with a new digest (evidence edited after it was signed) stays unrecorded."""
    paths = ", ".join(sorted({ref.path for ref in add.entry.refs}))
    text = (
        f"{item.id}: a {add.entry.kind} line records no file, but its refs name {paths}:"
        f" record a file with the command that records it (`fos spec evidence`, ...)"
    )
    return _finding(EVIDENCE_RULE, text, add)


def _not_own(item: Item, add: Added, names: Sequence[str], command: str) -> list[Finding]:
    """The refs of ADD (evidence, a maintenance log, a retirement) naming another file than
    one COMMAND writes: a version of one of NAMES in the item's folder (`eval.json`,
    `eval.2.json`) that it may record (`items.records`: a maintenance log's or a
    retirement's is new, evidence's no other stage's). Named files but those record nothing,
    so a file recorded before and edited by hand is not recorded again through them."""
    where = items.folder(item)
    found = []
    for ref in add.entry.refs:
        own = where is not None and any(_is_version(ref.path, f"{where}/{n}") for n in names)
        if not own or not items.records(item, add.entry, ref.path):
            text = (
                f"{item.id}: {add.entry.kind} records {ref.path}, which is not a file"
                f" `{command}` writes for it: record a file with the command that records it"
            )
            found.append(_finding(EVIDENCE_RULE, text, add))
    return found


def _is_version(path: str, name: str) -> bool:
    """PATH is NAME or a later version of it, as `fos spec evidence` and `fos spec maintain`
    name them (`eval.json`, `eval.2.json`, ...)."""
    if path == name:
        return True
    base = name.rpartition("/")[2]
    dot = base.rfind(".")
    suffix = base[dot:] if dot > 0 else ""
    stem = name[: len(name) - len(suffix)] + "."
    if not (path.startswith(stem) and path.endswith(suffix)):
        return False
    version = path[len(stem) : len(path) - len(suffix)]
    if not (version.isascii() and version.isdigit()):
        return False
    return version == str(int(version)) and int(version) >= 2  # `eval.2.json` first


def _at(rule: str, message: str, path: str, line: int | None = None) -> Finding:
    return Finding(rule, "block", message, path, line)
