"""Founding a factory (`fos init`): `.factory/` in a git work tree, from the templates
and the chosen rule packs, with the ledger's first entry.

The new tree is built beside `.factory/` and renamed into place in one step, so
two concurrent inits leave one whole factory. Over an existing factory
(`--force`) the templates are written again and missing pack rules added;
rules, incidents, knowledge, digests and the ledger are never touched.

A founding cut short (killed after the rename, before its ledger entries; or an
empty `.factory/` made by hand) is finished by the next `fos init`: what is
missing is written, nothing there is overwritten, and the entries not yet in
the ledger are appended.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from factory_os import __version__, atomic, store
from factory_os.errors import EnvironmentProblem, FosError, InvalidInput, UsageError
from factory_os.git.repo import require_worktree
from factory_os.ledger import events, segments
from factory_os.memory.packs import available_packs, pack_files
from factory_os.memory.schemas import render_schemas
from factory_os.model.common import SLUG_MAX
from factory_os.rules.actor import acting_member, author_email, claim_of
from factory_os.store import SCHEMA_DIR, Factory

EMPTY_DIRS = ("rules", "incidents", "knowledge", "digests", "specs", "runs", "ledger")


@dataclass
class InitResult:
    factory: Factory
    created: bool
    written: list[str] = field(default_factory=list)
    rules_added: list[str] = field(default_factory=list)
    resumed: bool = False  # an unfinished founding was finished


def init_factory(*, cwd: Path, packs: list[str], force: bool, actor: str | None) -> InitResult:
    unknown = sorted(set(packs) - set(available_packs()))
    if unknown:
        raise UsageError(
            f"unknown pack {', '.join(unknown)} (available: {', '.join(available_packs())})"
        )
    packs = list(dict.fromkeys(packs))  # `--pack core --pack core` names it once
    repo = require_worktree(cwd)
    top = repo.top(cwd)
    factory = Factory(root=top, repo=repo)
    exists = factory.dir.exists() or factory.dir.is_symlink()
    if exists and not factory.dir.is_dir():
        raise EnvironmentProblem(
            f"{factory.dir} exists but is not a directory; move it aside and run fos init again"
        )
    escaping = store.escapes(factory) if exists else []
    if escaping:
        raise InvalidInput(escaping)  # what init writes would land outside the repository
    unfinished = _unfinished(factory, packs) if exists else None
    if exists and not force and unfinished is None:
        return InitResult(factory, created=False)
    if exists and (factory.dir / "team.yaml").is_file():
        # the team exists: only a member writes its templates again
        email = acting_member(top, actor).emails[0]
    else:
        email = _identity_email(top, actor)
    founder = _slug(email.split("@")[0])  # the member id team.yaml gives the founder
    files = _template_files(factory, name=_slug(top.name), packs=packs, email=email)
    rule_files = {
        f"rules/{path.stem}.yaml": _with_modeline(path.read_text(encoding="utf-8"), "rule", "../")
        for name in packs
        for path in pack_files(name)
    }
    if not exists:
        attributes = {".gitattributes": "".join(f"{line}\n" for line in segments.ATTRIBUTES)}
        if not _create_atomically(factory, {**files, **attributes, **rule_files}):
            return InitResult(factory, created=False)  # another init got there first
        _record(factory, founder, packs, rule_files, founding=True)
        return InitResult(factory, True, sorted({**files, **rule_files}), _rule_ids(rule_files))
    if unfinished is not None:
        return _finish(factory, founder, packs, files, rule_files, unfinished)
    # --force over an existing factory: rewrite the templates, add missing pack rules,
    # never touch rules, incidents, knowledge, digests or the ledger already there
    written = []
    for rel, text in files.items():
        atomic.write_atomic(factory.dir / rel, text)
        written.append(rel)
    added = {rel: text for rel, text in rule_files.items() if not (factory.dir / rel).exists()}
    for rel, text in added.items():
        atomic.write_new(factory.dir / rel, text)
    for directory in EMPTY_DIRS:
        (factory.dir / directory).mkdir(exist_ok=True)
    segments.ensure_attributes(factory)
    _record(factory, founder, packs, added, founding=False)
    return InitResult(factory, True, sorted(written + list(added)), _rule_ids(added))


@dataclass
class Unfinished:
    """What a founding cut short left out of the ledger."""

    founded: bool  # the factory.initialized entry is there
    unrecorded: list[str]  # pack rule files (relative to .factory/) without a rule.added entry


def _unfinished(factory: Factory, packs: list[str]) -> Unfinished | None:
    """What the founding of FACTORY left undone; None when it was finished (or the
    ledger cannot be read, which `fos verify` reports: nothing is then touched)."""
    try:
        founded = bool(events.recorded(factory, "factory.initialized"))
        added = events.recorded(factory, "rule.added")
    except FosError:
        return None
    unrecorded = sorted(
        rel
        for rel in (f"rules/{path.stem}.yaml" for name in packs for path in pack_files(name))
        if Path(rel).stem not in added and (factory.dir / rel).is_file()
    )
    if founded and not unrecorded:
        return None
    return Unfinished(founded, unrecorded)


def _finish(
    factory: Factory,
    founder: str,
    packs: list[str],
    files: dict[str, str],
    rule_files: dict[str, str],
    unfinished: Unfinished,
) -> InitResult:
    """Finish a founding cut short: write what is missing, overwrite nothing, and
    append the ledger entries it did not get to."""
    written = []
    for rel, text in {**files, **rule_files}.items():
        if not (factory.dir / rel).exists():
            atomic.write_new(factory.dir / rel, text)
            written.append(rel)
    for directory in EMPTY_DIRS:
        folder = factory.dir / directory
        folder.mkdir(exist_ok=True)
        if not any(folder.iterdir()):
            (folder / ".gitkeep").touch()
    segments.ensure_attributes(factory)
    # the rules found without an entry are recorded as they are on disk
    record = {rel: (factory.dir / rel).read_text("utf-8") for rel in unfinished.unrecorded}
    record.update({rel: rule_files[rel] for rel in written if rel in rule_files})
    _record(factory, founder, packs, record, founding=not unfinished.founded)
    return InitResult(factory, True, sorted(written), _rule_ids(record), resumed=True)


def _record(
    factory: Factory, actor: str, packs: list[str], rule_files: dict[str, str], *, founding: bool
) -> None:
    """The ledger's first entry (when FOUNDING), then a `rule.added` per pack rule written."""
    if founding:
        events.append(
            factory,
            kind="factory.initialized",
            actor=actor,
            data={"packs": packs, "version": __version__},
        )
    for rel, text in sorted(rule_files.items()):
        path = factory.dir / rel
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        events.append(
            factory,
            kind="rule.added",
            actor=actor,
            subject=path.stem,
            refs=[(factory.rel(path), digest)],
        )


def _rule_ids(rule_files: dict[str, str]) -> list[str]:
    return sorted(Path(rel).stem for rel in rule_files)


def _create_atomically(factory: Factory, files: dict[str, str]) -> bool:
    """Build the whole tree beside `.factory/`, then rename it into place in one step.

    False when a `.factory/` appeared meanwhile (a concurrent init): it is left as it is.
    """
    staging = Path(tempfile.mkdtemp(prefix=".factory.init-", dir=factory.root))
    try:
        atomic.make_dir(staging)
        for rel, text in files.items():
            atomic.write_atomic(staging / rel, text)
        for directory in EMPTY_DIRS:
            folder = staging / directory
            folder.mkdir(exist_ok=True)
            if not any(folder.iterdir()):
                (folder / ".gitkeep").touch()
        try:
            os.rename(staging, factory.dir)
        except OSError:
            if not factory.dir.exists():
                raise
            shutil.rmtree(staging, ignore_errors=True)
            return False
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True


def _template_files(factory: Factory, *, name: str, packs: list[str], email: str) -> dict[str, str]:
    templates = resources.files("factory_os") / "templates"
    config = store.parse_yaml(
        (templates / "factory.yaml").read_text("utf-8"), "factory.yaml", round_trip=True
    )
    config.tree["name"] = name
    config.tree["packs"] = packs
    member = _slug(email.split("@")[0])
    team = {
        "members": [
            {
                "id": member,
                "name": member,
                "kind": "human",
                "roles": ["owner"],
                "emails": [email],
            }
        ]
    }
    files = {
        "factory.yaml": store.dump_yaml(config.tree, schema=f"{SCHEMA_DIR}/factory.schema.json"),
        "team.yaml": store.dump_yaml(team, schema=f"{SCHEMA_DIR}/team.schema.json"),
        "DNA.md": (templates / "DNA.md").read_text("utf-8"),
    }
    for kind in ("roles", "raci", "lifecycle"):
        text = (templates / f"{kind}.yaml").read_text("utf-8")
        files[f"{kind}.yaml"] = _with_modeline(text, kind, "")
    for schema_name, text in render_schemas().items():
        files[f"{SCHEMA_DIR}/{schema_name}"] = text
    return files


def _with_modeline(text: str, kind: str, up: str) -> str:
    return f"# yaml-language-server: $schema={up}{SCHEMA_DIR}/{kind}.schema.json\n{text}"


def _identity_email(top: Path, actor: str | None) -> str:
    """The founder's email: ACTOR or FOS_ACTOR when given (there is no team yet to
    match them against), else git's author email."""
    candidate = claim_of(actor) or author_email(top)
    if not candidate:
        return "owner@example.invalid"
    if "@" in candidate and not any(c.isspace() for c in candidate):
        return candidate
    # a name rather than an address (FOS_ACTOR=alice, user.email "Jane Doe")
    return f"{_slug(candidate.split('@')[0])}@example.invalid"


def _slug(text: str) -> str:
    """TEXT as a slug of at most SLUG_MAX characters (a directory name can be longer)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "factory"
