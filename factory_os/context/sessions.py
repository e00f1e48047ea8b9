"""Sessions: a start that records what the agent was shown, an end that leaves a digest.

`start` builds the context and records `session.started` in the ledger with the
manifest hash, the role and the commit checked out. The open session's state is
derived from the ledger, not kept beside it: any clone that has the ledger can
end the session or list it as open. `end` writes `.factory/digests/<id>.md`
(front matter: session, actor, role, start and end, the manifest hash echoed
from the start, the commits made since) and records `session.ended` with the
digest's sha256, as one step.

Session ids start with the hex start time (`S-6560a1b2` + 6 random hex), so
digest file names sort by when each session started; `fos context` relies on
that to read only the latest digests.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from factory_os import clock, store
from factory_os.context.bundle import ContextBundle, build_context
from factory_os.errors import InvalidInput, UsageError
from factory_os.git import plumbing as git
from factory_os.store import Factory

STARTED = "session.started"
ENDED = "session.ended"
SECTIONS = (
    ("done", "Done"),
    ("not_done", "Not done"),
    ("decisions", "Decisions"),
    ("pitfalls", "Pitfalls"),
    ("next", "Next"),
)


@dataclass(frozen=True)
class OpenedSession:
    id: str
    bundle: ContextBundle
    head: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "session": self.id,
            "head": self.head,
            "manifest_hash": self.bundle.manifest_hash,
            "context": self.bundle.to_json(),
        }


@dataclass(frozen=True)
class SessionRecord:
    """A session as the ledger tells it."""

    id: str
    actor: str
    role: str | None
    member: str | None
    started_at: str
    head: str | None
    manifest_hash: str
    ended: bool
    agent_session: str | None = None  # the agent's own session id, when a hook opened it

    def to_json(self) -> dict[str, Any]:
        return {
            "session": self.id,
            "open": not self.ended,
            "actor": self.actor,
            "role": self.role,
            "started_at": self.started_at,
            "manifest_hash": self.manifest_hash,
        }


def new_session_id(factory: Factory, now: float | None = None) -> str:
    stamp = int(clock.now().timestamp() if now is None else now)
    while True:
        candidate = f"S-{stamp:08x}{secrets.token_hex(3)}"
        if not (factory.dir / "digests" / f"{candidate}.md").exists():
            return candidate


def start_session(
    factory: Factory,
    *,
    actor: str,
    role: str | None = None,
    member: str | None = None,
    paths: Sequence[str] = (),
    tags: Sequence[str] = (),
    budget: int | None = None,
    agent_session: str | None = None,
) -> OpenedSession:
    """Build the context and record the session's start; AGENT_SESSION is the id the
    agent's own tool gave the session (its hooks find the session by it)."""
    from factory_os.ledger import events

    bundle = build_context(factory, role=role, member=member, paths=paths, tags=tags, budget=budget)
    session_id = new_session_id(factory)
    head = factory.repo.head
    data: dict[str, Any] = {"manifest_hash": bundle.manifest_hash}
    optional = {
        "role": role,
        "member": bundle.selection.member,
        "head": head,
        "agent_session": agent_session,
    }
    data.update({key: value for key, value in optional.items() if value})
    if bundle.selection.paths:
        data["paths"] = list(bundle.selection.paths)
    events.append(factory, kind=STARTED, actor=actor, subject=session_id, data=data)
    return OpenedSession(session_id, bundle, head)


def sessions(factory: Factory) -> list[SessionRecord]:
    """Every session the ledger knows, in the order they started."""
    from factory_os.ledger import events

    started: dict[str, SessionRecord] = {}
    ended: set[str] = set()
    for entry in events.entries(factory):
        if entry.kind == STARTED and entry.subject not in started:
            data = entry.data
            started[entry.subject] = SessionRecord(
                id=entry.subject,
                actor=entry.actor,
                role=_text(data.get("role")),
                member=_text(data.get("member")),
                started_at=entry.at,
                head=_text(data.get("head")),
                manifest_hash=str(data.get("manifest_hash", "")),
                ended=False,
                agent_session=_text(data.get("agent_session")),
            )
        elif entry.kind == ENDED:
            ended.add(entry.subject)
    records = [
        SessionRecord(**{**record.__dict__, "ended": record.id in ended})
        for record in started.values()
    ]
    return sorted(records, key=lambda r: (r.id, r.started_at))


def open_session_of(factory: Factory, agent_session: str) -> SessionRecord | None:
    """The open session an agent's hook opened under AGENT_SESSION, the latest if several."""
    found = [r for r in sessions(factory) if r.agent_session == agent_session and not r.ended]
    return found[-1] if found else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def digest_body(sections: Mapping[str, Sequence[str]]) -> str:
    """Markdown sections (`## Done` ...) of bullets, for the non-empty ones."""
    parts = []
    for key, title in SECTIONS:
        items = [item.strip() for item in sections.get(key, ()) if item.strip()]
        if items:
            bullets = "\n".join(f"- {item}" for item in items)
            parts.append(f"## {title}\n\n{bullets}\n")
    return "\n".join(parts)


def end_session(
    factory: Factory,
    *,
    session_id: str,
    actor: str,
    body: str,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Write the digest of SESSION_ID and record the end; return (path, entry id)."""
    from factory_os.ledger import events

    if not body.strip():
        raise UsageError("say what the session did: --done/--not-done/... or --digest-file")
    if body.lstrip().startswith("---"):
        raise UsageError("the digest file must be Markdown without front matter; fos writes it")
    record = next((r for r in sessions(factory) if r.id == session_id), None)
    if record is None:
        raise UsageError(f"no session {session_id} was started (see `fos session list --open`)")
    path = factory.dir / "digests" / f"{session_id}.md"
    if record.ended or path.exists():
        raise UsageError(f"session {session_id} has already ended ({factory.rel(path)})")
    ended_at = (now or clock.now()).replace(microsecond=0)
    front: dict[str, Any] = {
        "session": session_id,
        "actor": record.actor,
        **({"role": record.role} if record.role else {}),
        "started_at": record.started_at,
        "ended_at": ended_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "manifest_hash": record.manifest_hash,
        "commits": commits_since(factory, record.head),
    }
    text = f"---\n{store.dump_yaml(front)}---\n\n{body.strip()}\n"
    _check_digest(factory, path, text)
    entry = events.record_file(
        factory,
        path,
        text,
        kind=ENDED,
        actor=actor,
        subject=session_id,
        data={"manifest_hash": record.manifest_hash},
    )
    return factory.rel(path), entry


def commits_since(factory: Factory, head: str | None) -> list[str]:
    """The commits reachable from HEAD now and not from HEAD at the start, oldest first."""
    if factory.repo.head is None:
        return []
    revs = ["HEAD"] if head is None else [f"{head}..HEAD"]
    # None: the start commit is gone (history rewritten)
    return git.commits(factory.root, revs) or []


def _check_digest(factory: Factory, path: Any, text: str) -> None:
    """The digest must read back as a valid one before anything is written."""
    from factory_os.model.documents import DigestFrontMatter

    rel = factory.rel(path)
    front, _body, _line = store.split_front_matter(text, rel)
    try:
        store.validate(DigestFrontMatter, store.parse_yaml(front, rel, line_offset=1))
    except InvalidInput as exc:  # pragma: no cover - a bug, not a user error
        raise UsageError(f"the digest would not validate: {exc.problems[0]}") from None
