"""The lifecycle's and the runs' pull-request checks, given a checked change.

`work.extras` calls this only when a change concerns them. It gathers what the
pure checks (`gatecheck.check_onto`, `runcheck.check_onto`) are given:

- the base's ledger, replayed once for both (`replay.Base`, kept under the git
  directory keyed on the segments' blob ids);
- the entries the change adds, each with the member of the commit that adds it
  (the staged change: git's author), placed on the base in replay order;
- the operating model, the team, the roles and the run settings as of the base
  (the change's own when it has no base, as for the founding change);
- the head's files (the index's, for a staged change), read in one batch for
  the paths the events record; a file the change records more than once is read
  as the commit of each event that needs it holds it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from factory_os.errors import InvalidInput
from factory_os.git import plumbing as git
from factory_os.paths import FACTORY_DIR
from factory_os.rules.finding import Finding
from factory_os.rules.seam import Checked
from factory_os.work import gatecheck, items
from factory_os.work.extras import RUN_KINDS
from factory_os.work.gatecheck import Added
from factory_os.work.operating import OperatingModel
from factory_os.work.replay import Base, Projection

if TYPE_CHECKING:
    from factory_os import store
    from factory_os.work.runstate import RunState

# (what only a change adding run events needs is imported when one does: `store`,
# `work.runstate`, the runs' models)

ITEMS: Projection[items.Item] = Projection(
    "items-3", frozenset(items.KINDS), items.fold, items.dump, items.load
)


def _runstate() -> Any:
    from factory_os.work import runstate

    return runstate


# `work.runstate.KINDS`: the run events and the escalations a run's gates wait on
RUN_STATE_KINDS = RUN_KINDS | {"escalation.opened", "escalation.acked", "escalation.resolved"}
RUNS: Projection[RunState] = Projection(
    "runs",
    RUN_STATE_KINDS,
    lambda entries, _state: _runstate().fold(entries),
    lambda run: _runstate().to_json(run),
    lambda value: _runstate().from_json(value),
    onto=False,
)
OPERATING = ("lifecycle.yaml", "raci.yaml", "team.yaml")
DOCUMENTS = tuple(f"{FACTORY_DIR}/{name}" for name in (*OPERATING, "roles.yaml", "factory.yaml"))
RUN_DOCUMENTS = ("team.yaml", "roles.yaml", "factory.yaml")
RUNS_DIR = f"{FACTORY_DIR}/runs/"
MOVES = (items.ADVANCED, items.RETURNED)  # the events whose gate reads the item's files
ACTOR_RULE = "fos:entry-actor-mismatch"  # as the rule engine names it for a range


def check(checked: Checked, *, lifecycle: bool, runs: bool) -> list[Finding]:
    """The findings of the lifecycle events (LIFECYCLE) and run events (RUNS) CHECKED
    adds, and of the recorded files it changes."""
    repo = checked.repo
    base = Base(repo.worktree, checked.base, (ITEMS, RUNS), prefix=repo.prefix,
                cache_dir=repo.common_dir, documents=DOCUMENTS)  # fmt: skip
    added = _added(checked, base)
    documents = _Documents(checked, base)
    read = _Reader(checked)
    found: list[Finding] = _unproven(checked, added) if checked.staged else []
    if lifecycle:
        found += _lifecycle(checked, base, added, documents, read)
    if runs:
        found += _runs(base, added, documents, read, checked.changed_paths())
    base.save()
    return found


def _added(checked: Checked, base: Base) -> list[Added]:
    """The entries CHECKED adds that are not in the base, in replay order, each with the
    member and commit of the change that adds it."""
    parsed: list[tuple[str, dict[str, Any], str, int]] = []
    origin: dict[str, tuple[str | None, str | None]] = {}
    for line in checked.ledger_lines():
        fields = checked.entry(line.text)
        if not isinstance(fields, dict):
            continue  # not an entry: `fos verify` says so
        ident = line.text[:64]
        parsed.append((ident, fields, line.path, line.line))
        origin.setdefault(ident, (line.member, line.commit))
    return [Added(entry, *origin[entry.id]) for entry in base.place(parsed)]


def _unproven(checked: Checked, added: Sequence[Added]) -> list[Finding]:
    """The staged lifecycle and run entries whose actor is not the member who commits
    them (a range's are the rule engine's `fos:entry-actor-mismatch`; a staged change's
    would otherwise be found only once pushed)."""
    found = []
    email = checked.changes[0].author_email if checked.changes else ""
    for add in added:
        entry = add.entry
        if entry.kind not in items.KINDS and entry.kind not in RUN_KINDS:
            continue
        named = checked.ruleset.named(entry.actor)
        if named is not None and named.id == add.member:
            continue
        who = add.member or f"{email or 'an author'}, who is no member of team.yaml,"
        message = (
            f"ledger entry {entry.id[:12]} ({entry.kind}) names {entry.actor} as its actor,"
            f" but {who} commits it: only {entry.actor} can commit it"
        )
        where = entry.segment or None, entry.line or None
        found.append(Finding(ACTOR_RULE, "block", message, *where, None, add.member or email))
    return found


def _lifecycle(
    checked: Checked, base: Base, added: Sequence[Added], documents: _Documents, read: _Reader
) -> list[Finding]:
    """Only the items the change concerns are loaded: those its events name, and those
    whose recorded files it changes."""
    changed = checked.changed_paths()
    events = [a for a in added if a.entry.kind in items.KINDS]
    owners = base.kept("item-refs/3", lambda: _ref_owners(base))
    subjects = {a.entry.subject for a in events} | {owners[p] for p in changed if p in owners}
    if not subjects:
        return []
    state = base.state(ITEMS, subjects.__contains__)
    moved = {a.entry.subject for a in events if a.entry.kind in MOVES}
    paths = {path for item in state.values() if item.id in moved for path in item.refs}
    paths |= {ref.path for a in events for ref in a.entry.refs}
    read.prefetch(paths | {p for p in changed if p in owners})
    model = documents.operating_model()
    if isinstance(model, Finding):
        return [model]
    return gatecheck.check_onto(state, added, model, read, changed, read.at)


def _ref_owners(base: Base) -> dict[str, str]:
    """recorded path -> the base item that recorded it."""
    return {path: item.id for item in base.state(ITEMS).values() for path in item.refs}


def _runs(
    base: Base,
    added: Sequence[Added],
    documents: _Documents,
    read: _Reader,
    changed: Collection[str],
) -> list[Finding]:
    """Only the runs the change concerns are loaded: those its events name, and those
    whose folder it changes."""
    touched = [p for p in changed if p.startswith(RUNS_DIR)]
    subjects = {a.entry.subject for a in added} | {
        p[len(RUNS_DIR) :].split("/")[0] for p in touched
    }
    state = base.state(RUNS, subjects.__contains__)
    if not state and not any(a.entry.kind in RUN_KINDS for a in added):
        return []
    from pydantic import ValidationError

    from factory_os import store
    from factory_os.model.factory import RunSettings
    from factory_os.model.team import Roles, Team
    from factory_os.work import runcheck

    paths = {ref.path for a in added for ref in a.entry.refs} | set(touched)
    for run in state.values():
        paths |= {v.path for versions in run.artifacts.values() for v in versions}
    read.prefetch(paths)

    def validated() -> list[Any]:
        config = documents.yaml("factory.yaml", optional=True)
        runs = config.plain.get("runs") if isinstance(config.plain, dict) else None
        return [
            store.validate(Team, documents.yaml("team.yaml")).model_dump(mode="json"),
            store.validate(Roles, documents.yaml("roles.yaml")).model_dump(mode="json"),
            RunSettings.model_validate(runs or {}).model_dump(mode="json"),
        ]

    blobs = documents.blobs()
    key = ":".join(blobs.get(f"{FACTORY_DIR}/{n}", "-") for n in RUN_DOCUMENTS)
    try:
        # validated once per content; what is kept is read back without YAML
        team, roles, settings = base.kept(f"run-documents/1:{key}", validated, carried=True)
    except (InvalidInput, ValidationError) as exc:
        return [_unjudged(runcheck.GATE_RULE, "run", exc)]
    return runcheck.check_onto(
        state,
        added,
        Team.model_validate(team),
        Roles.model_validate(roles),
        read,
        RunSettings.model_validate(settings),
        touched,
    )


def _unjudged(rule: str, what: str, exc: Exception) -> Finding:
    problems = getattr(exc, "problems", None)
    reason = "; ".join(str(p) for p in problems) if problems else str(exc).splitlines()[0]
    message = f"the {what} events of this change cannot be judged: {reason}"
    if not problems:
        return Finding(rule, "block", message)
    return Finding(rule, "block", message, problems[0].path, problems[0].line or None)


class _Documents:
    """The factory's documents as the base holds them (the change's own without a base)."""

    def __init__(self, checked: Checked, base: Base) -> None:
        self.checked = checked
        self.base = base
        self._blobs: dict[str, str] | None = None

    def blobs(self) -> dict[str, str]:
        """factory-relative path -> blob id, for the documents the checks read."""
        if self._blobs is None:
            if self.checked.base is not None:
                self._blobs = self.base.blobs
            else:
                repo = self.checked.repo
                wanted = [repo.prefix + path for path in DOCUMENTS]
                found = git.tree_entries(repo.worktree, self.checked.head or ":", wanted)
                self._blobs = {path[len(repo.prefix) :]: blob for path, blob in found.items()}
        return self._blobs

    def yaml(self, name: str, *, optional: bool = False) -> store.YamlDocument:
        from factory_os import store

        path = f"{FACTORY_DIR}/{name}"
        blob = self.blobs().get(path)
        raw = git.cat_blobs(self.checked.repo.worktree, [blob]).get(blob) if blob else None
        if raw is None:
            if optional:
                return store.parse_yaml("{}", path)
            raise InvalidInput.one(path, 1, "missing at the base")
        return store.parse_yaml(store.text_of(raw, path), path)

    def operating_model(self) -> OperatingModel | Finding:
        """lifecycle.yaml, raci.yaml and team.yaml as plain values, validated once per
        content: kept with the base under their blob ids."""
        blobs = self.blobs()
        key = ":".join(blobs.get(f"{FACTORY_DIR}/{name}", "-") for name in OPERATING)
        try:
            parts = self.base.kept(f"operating-model/1:{key}", self._validated, carried=True)
        except InvalidInput as exc:
            return _unjudged(gatecheck.GATE_RULE, "lifecycle", exc)
        return OperatingModel.from_json(*parts)

    def _validated(self) -> list[Any]:
        from pydantic import BaseModel

        from factory_os import store
        from factory_os.model.lifecycle import Lifecycle
        from factory_os.model.raci import Raci
        from factory_os.model.team import Team

        models: tuple[type[BaseModel], ...] = (Lifecycle, Raci, Team)
        return [
            store.validate(model, self.yaml(name)).model_dump(mode="json")
            for name, model in zip(OPERATING, models, strict=True)
        ]


class _Reader:
    """The head's files (the index's, for a staged change), read in batches."""

    def __init__(self, checked: Checked) -> None:
        self.checked = checked
        self.files: dict[str, bytes | None] = {}
        self.versions: dict[tuple[str, str], bytes | None] = {}

    def prefetch(self, paths: Iterable[str]) -> None:
        wanted = [p for p in paths if p not in self.files]
        if wanted:
            found = self.checked.read(wanted)
            self.files.update({p: found.get(p) for p in wanted})

    def __call__(self, path: str) -> bytes | None:
        self.prefetch([path])
        return self.files[path]

    def at(self, commit: str, path: str) -> bytes | None:
        """PATH as COMMIT holds it: for a file the range records more than once."""
        if (commit, path) not in self.versions:
            repo = self.checked.repo
            blob = git.tree_entries(repo.worktree, commit, [repo.prefix + path]).get(
                repo.prefix + path
            )
            found = git.cat_blobs(repo.worktree, [blob]).get(blob) if blob else None
            self.versions[commit, path] = found
        return self.versions[commit, path]
