"""Incidents: what went wrong, recorded once and never rewritten.

An incident is `.factory/incidents/<INC-hex>.md`: YAML front matter
(`model.documents.IncidentFrontMatter`) and the narrative, in four sections:
what happened, impact, root cause, resulting rules. Adding one writes the file
and its `incident.recorded` ledger entry as one step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory_os import clock, store
from factory_os.errors import InvalidInput, Problem
from factory_os.ids import new_id
from factory_os.ledger import events
from factory_os.model.common import INCIDENT_ID
from factory_os.model.documents import IncidentFrontMatter
from factory_os.rules.actor import acting_member
from factory_os.store import Factory

INCIDENTS_DIR = "incidents"
SECTIONS = ("What happened", "Impact", "Root cause", "Resulting rules")


@dataclass(frozen=True)
class Incident:
    front: IncidentFrontMatter
    body: str
    path: str
    text: str  # the file as written

    def to_json(self) -> dict[str, Any]:
        return {**self.front.model_dump(mode="json"), "path": self.path, "body": self.body}


def incident_path(factory: Factory, incident_id: str) -> Path:
    return factory.dir / INCIDENTS_DIR / f"{incident_id}.md"


def add_incident(
    *,
    cwd: Path,
    title: str,
    severity: str,
    summary: str = "",
    narrative: str | None = None,
    actor: str | None = None,
) -> str:
    """Write a new incident, with NARRATIVE (Markdown) as its body, and its ledger
    entry; return the incident's id."""
    factory = store.find_factory(cwd)
    who = acting_member(cwd, actor).id
    incident_id = new_id("INC", lambda c: incident_path(factory, c).exists())
    front = _validated(
        {
            "id": incident_id,
            "title": title.strip(),
            "severity": severity,
            "summary": summary.strip(),
            "created_at": clock.now(),
            "created_by": who,
        }
    )
    path = incident_path(factory, incident_id)
    text = render(front, narrative, schema=store.schema_ref(path, factory, "incident"))
    events.record_file(
        factory,
        path,
        text,
        kind="incident.recorded",
        actor=who,
        subject=incident_id,
        data={"severity": severity, "title": front.title},
    )
    return incident_id


def add_resulting_rule(
    factory: Factory, incident_id: str, rule_id: str, title: str, actor: str
) -> str:
    """Add a line naming RULE_ID (its TITLE) under the incident's "Resulting rules",
    at the end of the file: an incident may only grow, so its section is added after
    whatever follows the one it was written with. Return the ledger entry's id."""
    heading = f"## {SECTIONS[-1]}"

    def addition(old: bytes) -> bytes:
        text = old.decode("utf-8", "replace")
        headings = [line.strip() for line in text.splitlines() if line.startswith("## ")]
        lead = "" if not text or text.endswith("\n") else "\n"
        if not headings or headings[-1] != heading:
            lead += f"\n{heading}\n\n"
        elif text.rstrip().endswith(heading):
            lead += "\n"  # a blank line between the heading and its first item
        return f"{lead}- {rule_id}: {title}\n".encode()

    return events.record_growth(
        factory,
        incident_path(factory, incident_id),
        addition,
        kind="incident.extended",
        actor=actor,
        subject=incident_id,
        data={"rule": rule_id},
    )


def _validated(values: dict[str, Any]) -> IncidentFrontMatter:
    from pydantic import ValidationError

    try:
        return IncidentFrontMatter.model_validate(values)
    except ValidationError as exc:
        problems = [
            Problem("<options>", 0, f"--{'.'.join(map(str, e['loc']))}: {e['msg']}")
            for e in exc.errors(include_url=False)
        ]
        raise InvalidInput(problems) from None


def render(front: IncidentFrontMatter, narrative: str | None, *, schema: str) -> str:
    """The incident's Markdown: front matter, then the narrative sections."""
    values = front.model_dump(mode="json", exclude_defaults=True)
    values["created_at"] = front.created_at.isoformat().replace("+00:00", "Z")
    head = f"---\n{store.dump_yaml(values, schema=schema)}---\n"
    if narrative is not None and any(line.startswith("## ") for line in narrative.splitlines()):
        return f"{head}\n{narrative.rstrip()}\n"
    parts = []
    for index, section in enumerate(SECTIONS):
        text = (narrative or "").strip() if index == 0 else ""
        parts.append(f"## {section}\n\n{text}\n" if text else f"## {section}\n")
    return head + "\n" + "\n".join(parts)


def load_incident(factory: Factory, path: Path) -> Incident:
    rel = factory.rel(path)
    text = store.read_text(path, rel)
    front_text, body, _ = store.split_front_matter(text, rel)
    doc = store.parse_yaml(front_text, rel, line_offset=1)
    front = store.validate(IncidentFrontMatter, doc)
    if path.stem != front.id:
        raise InvalidInput.one(rel, doc.line_of(("id",)), f"id {front.id} is not the file's name")
    return Incident(front, body, rel, text)


def list_incidents(*, cwd: Path) -> list[Incident]:
    """Every incident, oldest first; all unreadable files at once as InvalidInput."""
    factory = store.find_factory(cwd)
    found, problems = [], []
    for path in sorted((factory.dir / INCIDENTS_DIR).glob("*.md")):
        try:
            found.append(load_incident(factory, path))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    return sorted(found, key=lambda i: (i.front.created_at, i.front.id))


def show_incident(*, cwd: Path, incident_id: str) -> Incident:
    factory = store.find_factory(cwd)
    path = incident_path(factory, incident_id)
    if not _is_incident_id(incident_id) or not path.is_file():
        raise InvalidInput.one(factory.rel(path), 0, f"no incident {incident_id}")
    return load_incident(factory, path)


def _is_incident_id(value: str) -> bool:
    return re.match(INCIDENT_ID, value) is not None
