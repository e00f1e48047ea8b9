"""`.factory/DNA.md`: architecture decisions, one `## D-<id>: Title` section each.

    ## D-3f9a2c: Money is stored as integer minor units
    Status: accepted
    Paths: src/ledger/**, src/api/amounts.py

    Prose: the context, the decision, its consequences.

The status line is `proposed`, `accepted` or `superseded by D-<id>`; other
`Key: value` lines right under the heading are `Paths` (comma-separated globs)
and `Date`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from factory_os.errors import InvalidInput, Problem
from factory_os.model.common import DECISION_ID, DecisionId, Glob, NonEmpty, Strict, empty_list

HEADING = re.compile(r"^##\s+(?P<id>\S+?):\s*(?P<title>.*?)\s*$")
META = re.compile(r"^(?P<key>[A-Z][A-Za-z-]*):\s*(?P<value>.*?)\s*$")
SUPERSEDED = re.compile(r"^superseded by (?P<by>\S+)$")
FENCE = re.compile(r"^(```|~~~)")


class Decision(Strict):
    id: DecisionId
    title: NonEmpty
    status: Literal["proposed", "accepted", "superseded"]
    superseded_by: DecisionId | None = None
    paths: list[Glob] = Field(default_factory=empty_list)
    date: str | None = None
    body: str = ""
    line: int = Field(0, description="Line of the heading in DNA.md.")

    @model_validator(mode="after")
    def _superseded_names_its_successor(self) -> Decision:
        if (self.status == "superseded") != (self.superseded_by is not None):
            raise ValueError("a decision has superseded_by exactly when its status is superseded")
        return self


def parse_dna(text: str, rel: str) -> list[Decision]:
    """Every decision in TEXT; all problems at once as InvalidInput."""
    decisions: list[Decision] = []
    problems: list[Problem] = []
    sections: list[tuple[int, list[str]]] = []
    in_fence = False
    # split at \n only: splitlines() also breaks at \f, \x1c, U+2028..., which shifts lines
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            sections.append((number, [line]))
        elif sections:
            sections[-1][1].append(line)
    for start, lines in sections:
        try:
            decisions.append(_decision(start, lines))
        except _SectionError as exc:
            problems.append(Problem(rel, exc.line, exc.message))
    if problems:
        raise InvalidInput(problems)
    return decisions


class _SectionError(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line, self.message = line, message


def _decision(start: int, lines: list[str]) -> Decision:
    heading = HEADING.match(lines[0])
    if heading is None or not re.match(DECISION_ID, heading["id"]):
        raise _SectionError(
            start, "a section heading must read `## D-<6+ hex>: Title` (a decision)"
        )
    meta: dict[str, tuple[int, str]] = {}
    body_start = 1
    for offset, line in enumerate(lines[1:], start=1):
        match = META.match(line)
        if match is None:
            if line.strip() or meta:
                body_start = offset
                break
            continue
        key = match["key"].lower()
        if key not in ("status", "paths", "date"):
            raise _SectionError(start + offset, f"unknown decision field {match['key']!r}")
        if key in meta:
            raise _SectionError(start + offset, f"duplicate decision field {match['key']!r}")
        meta[key] = (start + offset, match["value"])
        body_start = offset + 1
    if "status" not in meta:
        raise _SectionError(start, f"{heading['id']}: missing `Status:` line under the heading")
    status_line, status = meta["status"]
    superseded = SUPERSEDED.match(status)
    fields: dict[str, object] = {
        "id": heading["id"],
        "title": heading["title"],
        "line": start,
        "body": "\n".join(lines[body_start:]).strip(),
    }
    if superseded is not None:
        fields.update(status="superseded", superseded_by=superseded["by"])
    elif status == "superseded":
        raise _SectionError(
            status_line, f"{heading['id']}: say which decision supersedes it: superseded by D-<id>"
        )
    else:
        fields["status"] = status
    if "paths" in meta:
        fields["paths"] = [p.strip() for p in meta["paths"][1].split(",") if p.strip()]
    if "date" in meta:
        fields["date"] = meta["date"][1]
    try:
        return Decision.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        at = status_line if error["loc"][:1] in (("status",), ("superseded_by",)) else start
        where = ".".join(str(part) for part in error["loc"])
        raise _SectionError(at, f"{heading['id']}: {where}: {error['msg']}") from None


def render_decision(decision: Decision) -> str:
    """The Markdown section of DECISION, as `parse_dna` reads it back."""
    status = (
        f"superseded by {decision.superseded_by}"
        if decision.status == "superseded"
        else decision.status
    )
    lines = [f"## {decision.id}: {decision.title}", f"Status: {status}"]
    if decision.paths:
        lines.append(f"Paths: {', '.join(decision.paths)}")
    if decision.date:
        lines.append(f"Date: {decision.date}")
    lines.append("")
    if decision.body:
        lines.append(decision.body)
        lines.append("")
    return "\n".join(lines)
