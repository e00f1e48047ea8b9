"""Which rules are in force (DESIGN section 3): the base's, plus those the change adds.

A rule file that a change deletes or alters is reported, and its version at the
base keeps applying, so a pull request cannot remove a rule and break it in one
go. The team, roles and identity policy are also the base's (the base branch's
tip, when it moved on after the change forked from it); members the change
adds are known (by their own emails only) so their commits are attributed, but
only the base's members count as approvers. Before a factory exists (the
founding change) there is no base: the founding change's own documents apply.

A rule the ledger has superseded or retired is not in force (`rules.status`),
as the ledger stood at the base, so a change cannot end a rule and break it in
one go: for a range, its base commit's ledger; for the index and the work tree
(the commit hooks, `check --all`, guard), HEAD's. Only entries whose ids match
their bytes and whose parents are entries count.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from factory_os import paths
from factory_os.git import plumbing as git
from factory_os.paths import FACTORY_DIR
from factory_os.rules import role_refs, status as rule_status
from factory_os.rules.cache import Cache
from factory_os.rules.compiled import CompiledRule, RuleSet, assemble, members_of
from factory_os.rules.finding import Finding
from factory_os.rules.role_refs import RoleRef
from factory_os.rules.status import RuleEvent, WrittenRule, file_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, NamedTuple
else:
    from factory_os.records import NamedTuple

RULES_DIR = f"{paths.RULES_DIR}/"
DOCUMENTS = {
    "team": f"{FACTORY_DIR}/team.yaml",
    "roles": f"{FACTORY_DIR}/roles.yaml",
    "config": f"{FACTORY_DIR}/factory.yaml",
    "raci": f"{FACTORY_DIR}/raci.yaml",
}
IN_FORCE = "fos:rules-in-force"
INVALID = "fos:invalid-document"


class Repo(NamedTuple):
    """Where the factory is: work tree, git dirs, and the factory root's path in the tree.

    Held as strings, which is all the hook path needs (pathlib costs it milliseconds
    to import); `worktree`, `git_dir`, `common_dir` and `root` give them as paths."""

    top: str  # the top of the work tree (the git dir in a bare repository)
    gitdir: str
    commondir: str
    head: str | None = None  # the HEAD commit when the repository was opened
    prefix: str = ""  # "" or "sub/dir/" when .factory/ is not at the top
    bare: bool = False  # no work tree: commands cannot run

    @property
    def rootdir(self) -> str:
        """The factory root, as a string."""
        return os.path.join(self.top, self.prefix.rstrip("/")) if self.prefix else self.top

    @property
    def worktree(self) -> Path:
        return _path(self.top)

    @property
    def git_dir(self) -> Path:
        return _path(self.gitdir)

    @property
    def common_dir(self) -> Path:
        return _path(self.commondir)

    @property
    def root(self) -> Path:
        return _path(self.rootdir)

    def local(self, path: str) -> str | None:
        """PATH (from git, relative to the top) relative to the factory root; None outside."""
        if not self.prefix:
            return path
        return path[len(self.prefix) :] if path.startswith(self.prefix) else None


def _path(text: str) -> Path:
    from pathlib import Path  # off the hook path: the layers above work in paths

    return Path(text)


def is_rule_file(path: str) -> bool:
    if not path.startswith(RULES_DIR) or not path.endswith(".yaml"):
        return False
    name = path[len(RULES_DIR) :]
    return "/" not in name and not name.startswith(".")


class Snapshot:
    """The factory documents of one tree (a commit, the index, the disk): path -> blob."""

    def __init__(self, blobs: dict[str, str] | None = None) -> None:
        self.blobs = blobs or {}
        self._rules: dict[str, str] | None = None

    @property
    def exists(self) -> bool:
        return DOCUMENTS["team"] in self.blobs or DOCUMENTS["config"] in self.blobs

    def rules(self) -> dict[str, str]:
        if self._rules is None:
            self._rules = {p: b for p, b in self.blobs.items() if is_rule_file(p)}
        return self._rules

    def key(self) -> str:
        return ",".join(f"{p}={b}" for p, b in sorted(self.blobs.items()))

    def changed(self, changes: Iterable[tuple[str, str, str, str]]) -> Snapshot:
        """This snapshot after CHANGES, given as (status, old, new, local path)."""
        blobs = dict(self.blobs)
        for status, _old, new, path in changes:
            if not _is_document(path):
                continue
            if status == "D":
                blobs.pop(path, None)
            else:
                blobs[path] = new
        return Snapshot(blobs)


def _is_document(path: str) -> bool:
    return is_rule_file(path) or path in DOCUMENTS.values()


def snapshot_args(repo: Repo, treeish: str, *, ledger: bool = False) -> list[str]:
    """The command listing TREEISH's documents (and with LEDGER, its segments too)."""
    wanted = [repo.prefix + RULES_DIR, *(repo.prefix + p for p in DOCUMENTS.values())]
    if ledger:
        wanted.append(repo.prefix + paths.LEDGER_DIR + "/")
    return git.tree_entries_args(treeish, wanted)


def ledger_key(repo: Repo, data: bytes) -> str:
    """What names the ledger's content in the output of `snapshot_args(ledger=True)`:
    a digest of its segments' paths and blob ids."""
    import hashlib

    segments = sorted(
        f"{local}={blob}"
        for path, blob in git.parse_tree_entries(data).items()
        if (local := repo.local(path)) is not None and paths.is_segment(local)
    )
    return hashlib.sha256("\n".join(segments).encode()).hexdigest()


def snapshot_of(repo: Repo, data: bytes) -> Snapshot:
    """The snapshot in the output of `snapshot_args`' command."""
    blobs = {}
    for path, blob in git.parse_tree_entries(data).items():
        local = repo.local(path)
        if local is not None and _is_document(local):
            blobs[local] = blob
    return Snapshot(blobs)


def snapshot_at(repo: Repo, treeish: str | None) -> Snapshot:
    """The documents at TREEISH (a commit, `:` for the index; None: nothing yet)."""
    if treeish is None:
        return Snapshot()
    return snapshot_of(repo, git.run(snapshot_args(repo, treeish), repo.top).stdout)


class Compiler:
    """Compiled documents by blob id, from the cache or compiled on a miss."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.cache = Cache(repo.commondir)

    def load(self, wanted: Iterable[tuple[str, str, str]]) -> None:
        """Make sure every (kind, blob, path) of WANTED is compiled."""
        missing = [(k, b, p) for k, b, p in wanted if self.cache.get(k, b) is None]
        if not missing:
            self.cache.save()  # whatever else was learnt (a tree's documents)
            return
        from factory_os.rules.compile import compile_document  # the slow side, on a miss only
        from factory_os.store import MAX_FILE_BYTES

        # sizes first: a blob over the limit is refused unread, as `store.read_text`
        # refuses a file (parsing megabytes of YAML would cost minutes and gigabytes)
        sizes = git.blob_sizes(self.repo.top, [b for _, b, _ in missing])
        small = [b for _, b, _ in missing if sizes.get(b, 0) <= MAX_FILE_BYTES]
        fetched = git.cat_blobs(self.repo.top, small)

        for kind, blob, path in missing:
            data = fetched.get(blob)
            if sizes.get(blob, 0) > MAX_FILE_BYTES:
                too_large = f"file is larger than {MAX_FILE_BYTES // 1024} KiB"
                compiled: Any = {"invalid": [[0, too_large]]}
            elif data is None:
                compiled = {"invalid": [[0, "content not found in git"]]}
            else:
                compiled = compile_document(kind, data.decode("utf-8", "replace"), path)
            self.cache.put(kind, blob, compiled)
        self.cache.save()

    def get(self, kind: str, blob: str) -> Any:
        return self.cache.get(kind, blob)


def rules_in_force(
    compiler: Compiler,
    base: Snapshot,
    head: Snapshot,
    events: Sequence[RuleEvent] = (),
    *,
    tip: Snapshot | None = None,
) -> tuple[RuleSet, list[Finding], bool]:
    """(the rule set, findings about the documents themselves, whether founding).
    EVENTS: the ledger's rule events (`ledger_events`), which end rules. TIP: the
    documents of a base branch that moved on after BASE, where HEAD forked: its
    rules are in force too, though HEAD does not hold them, and its team, roles and
    settings are the ones in force."""
    founding = not base.exists
    # the team, roles and settings of the base tip when the base branch moved on: the
    # merge puts the change under them
    docs_from = head if founding else tip if tip is not None and tip.exists else base
    merged = tip.rules() if tip is not None else {}
    wanted = [("rule", b, p) for p, b in base.rules().items()]
    wanted += [("rule", b, p) for p, b in merged.items()]
    # the head's versions too: added rules apply, and an edited one is reported by id
    wanted += [("rule", b, p) for p, b in head.rules().items()]
    wanted += [(k, docs_from.blobs[p], p) for k, p in DOCUMENTS.items() if p in docs_from.blobs]
    # the documents as of the change, which must make sense on their own (`_role_names`)
    wanted += [(k, head.blobs[p], p) for k, p in DOCUMENTS.items() if p in head.blobs]
    if docs_from is not base and DOCUMENTS["team"] in base.blobs:
        wanted.append(("team", base.blobs[DOCUMENTS["team"]], DOCUMENTS["team"]))
    compiler.load(wanted)

    findings: list[Finding] = []
    chosen: dict[str, tuple[str, str]] = {}
    for path, blob in sorted(base.rules().items()):
        chosen[path] = (blob, path)
        if path not in head.blobs:
            findings.append(_in_force(compiler, blob, path, "was deleted"))
        elif head.blobs[path] != blob:
            findings.append(_in_force(compiler, blob, path, "was changed"))
    for path, blob in sorted(merged.items()):
        chosen.setdefault(path, (blob, path))  # the base branch's, whatever HEAD holds
    for path, blob in sorted(head.rules().items()):
        chosen.setdefault(path, (blob, path))

    rules = []
    for path, (blob, _) in sorted(chosen.items()):
        compiled = compiler.get("rule", blob)
        if "invalid" in compiled:
            findings.extend(_invalid(path, compiled))
        else:
            rule = CompiledRule(compiled, path)
            rule.added = path not in base.blobs and path not in merged
            rules.append(rule)
    findings.extend(_misnamed(rules))
    docs: dict[str, Mapping[str, Any] | None] = {}
    for kind, path in DOCUMENTS.items():
        compiled = compiler.get(kind, docs_from.blobs[path]) if path in docs_from.blobs else None
        if compiled is not None and "invalid" in compiled:
            findings.extend(_invalid(path, compiled))
            compiled = None
        docs[kind] = compiled
    for kind, path in DOCUMENTS.items():
        now = head.blobs.get(path)
        if now is not None and now != docs_from.blobs.get(path):
            compiled = compiler.get(kind, now)
            if "invalid" in compiled:
                findings.extend(_invalid(path, compiled))
    findings.extend(_role_names(compiler, head))
    extra = []
    if not founding and DOCUMENTS["team"] in head.blobs:
        head_team = compiler.get("team", head.blobs[DOCUMENTS["team"]])
        if "invalid" not in head_team:
            extra = members_of(head_team)
        if docs_from is not base:
            # those the change adds; not those the base branch dropped after the fork
            forked = _team_ids(compiler, base)
            extra = [m for m in extra if m.id not in forked]
    written = [WrittenRule(r.id, r.source, r.status, r.superseded_by) for r in rules]
    states = rule_status.file_states(written, events)
    active = [r for r, state in zip(rules, states, strict=True) if state.status == "active"]
    ruleset = assemble(
        active, team=docs["team"], extra_members=extra, config=docs["config"], roles=docs["roles"]
    )
    return ruleset, findings, founding


def _team_ids(compiler: Compiler, snapshot: Snapshot) -> set[str]:
    """The ids of the members SNAPSHOT's team.yaml names (none when it has none)."""
    blob = snapshot.blobs.get(DOCUMENTS["team"])
    team = compiler.get("team", blob) if blob is not None else None
    if team is None or "invalid" in team:
        return set()
    return {m.id for m in members_of(team)}


def _role_names(compiler: Compiler, head: Snapshot) -> list[Finding]:
    """Every role the documents as of the change name (team.yaml, raci.yaml, the
    rules) must be one their roles.yaml defines: a typo would bind no one."""
    roles_blob = head.blobs.get(DOCUMENTS["roles"])
    roles = compiler.get("roles", roles_blob) if roles_blob is not None else None
    if roles is None or "invalid" in roles:
        return []  # no roles to judge by (an invalid roles.yaml is reported as such)
    named = [("rule", path, blob) for path, blob in sorted(head.rules().items())]
    for kind in ("team", "raci"):
        if DOCUMENTS[kind] in head.blobs:
            named.append((kind, DOCUMENTS[kind], head.blobs[DOCUMENTS[kind]]))
    findings = []
    for kind, path, blob in named:
        compiled = compiler.get(kind, blob)
        if compiled is None or "invalid" in compiled:
            continue
        # compiled, a reference's place is the line it is on
        refs = [
            RoleRef(role, (line,), who, approver)
            for role, line, who, approver in compiled.get("role_refs", ())
        ]
        for ref, message in role_refs.problems(refs, roles["roles"]):
            line = ref.loc[0]
            findings.append(
                Finding(
                    INVALID,
                    "block",
                    f"invalid document: {message}",
                    path,
                    line if isinstance(line, int) else None,
                )
            )
    return findings


def ledger_events(
    repo: Repo, cache: Cache, treeish: str | None, ledger: str | None = None
) -> list[RuleEvent]:
    """The rule events of the ledger at the commit TREEISH, or in the work tree (None).
    LEDGER: what names that ledger's content (`ledger_key`), when known."""
    if treeish is None:
        return rule_status.rule_events(repo.rootdir, cache=cache)
    return rule_status.rule_events(
        repo.rootdir,
        cache=cache,
        treeish=treeish,
        worktree=repo.top,
        prefix=repo.prefix,
        content=ledger,
    )


def _misnamed(rules: Iterable[CompiledRule]) -> list[Finding]:
    """A rule file whose id is not its file name, or is another rule's id."""
    files: dict[str, list[str]] = {}
    for rule in rules:
        files.setdefault(rule.id, []).append(rule.source)
    findings = []
    for rule in rules:
        if rule.id == file_id(rule.source):
            continue
        others = [p for p in files[rule.id] if p != rule.source]
        also = f", the id of {', '.join(others)} too" if others else ""
        findings.append(
            Finding(
                IN_FORCE,
                "block",
                f"rule file {rule.source} declares the id {rule.id}{also}; a rule's id is"
                f" its file name ({file_id(rule.source)}), and one id names one rule",
                rule.source,
            )
        )
    return findings


def _in_force(compiler: Compiler, blob: str, path: str, what: str) -> Finding:
    compiled = compiler.get("rule", blob)
    rule_id = compiled.get("id", IN_FORCE) if "invalid" not in compiled else IN_FORCE
    return Finding(
        rule_id,
        "block",
        f"rule file {path} {what}; rules are never deleted or edited, and its earlier"
        " version still applies (a rule ends only in the ledger, with `fos rule retire` or"
        " `fos rule supersede`, approved by an approver other than its author: `fos approve`)",
        path,
    )


def _invalid(path: str, compiled: Mapping[str, Any]) -> list[Finding]:
    return [
        Finding(INVALID, "block", f"invalid document: {message}", path, line or None)
        for line, message in compiled["invalid"]
    ]
