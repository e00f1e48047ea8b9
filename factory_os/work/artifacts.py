"""Artifact contracts: a run's artifact is checked before anyone reads it, and fails closed.

An artifact is known by its file name (`plan.json`, `briefings/<agent>-<task>.json`,
`research-brief.md`, ...). JSON artifacts are validated against their model
(`factory_os.model.artifacts`), then against what a schema cannot say: ids used
twice, a verdict that contradicts the counts or the findings, a coverage matrix
or a briefing that names what the plan does not have. Markdown artifacts need
their headings. Every problem is reported at once, as `path:line: /json/pointer:
message`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, ValidationError

from factory_os.errors import InvalidInput, Problem
from factory_os.model.artifacts import (
    ARTIFACT_SCHEMAS,
    MARKDOWN_HEADINGS,
    OWASP_TOP_10,
    STRIDE,
    Briefing,
    Improvements,
    Plan,
    Review,
    SecurityReview,
    TestResults,
)

MAX_BYTES = 1024 * 1024
BRIEFINGS = "briefings"
FILE_KINDS = {
    **{f"{kind}.json": kind for kind in ARTIFACT_SCHEMAS if kind != "briefing"},
    **{f"{kind}.md": kind for kind in MARKDOWN_HEADINGS},
}
BLOCKING_SECURITY = ("critical", "high")


@dataclass(frozen=True)
class Artifact:
    """A valid artifact: its kind, its name within the run, its model (None for Markdown)."""

    kind: str
    name: str
    value: BaseModel | None
    payload: bytes


def name_for(path: PurePosixPath) -> str | None:
    """The artifact name a file at PATH is stored under, or None if it is no artifact."""
    if path.parent.name == BRIEFINGS and path.suffix == ".json":
        return f"{BRIEFINGS}/{path.name}"
    return path.name if path.name in FILE_KINDS else None


def is_name(name: str) -> bool:
    """Whether NAME is an artifact's name within a run."""
    return name_for(PurePosixPath(name)) == name


def kind_of(name: str) -> str:
    return "briefing" if name.startswith(f"{BRIEFINGS}/") else FILE_KINDS[name]


def known_names() -> str:
    return ", ".join([*FILE_KINDS, f"{BRIEFINGS}/<agent>-<task>.json"])


def parse_artifact(rel: str, name: str, payload: bytes, *, plan: Plan | None) -> Artifact:
    """PAYLOAD as the artifact NAME (shown as REL), checked against its contract and,
    where it refers to it, against the run's current PLAN. InvalidInput lists every
    problem; nothing is partly accepted."""
    kind = kind_of(name)
    text = _text(rel, payload)
    if kind in MARKDOWN_HEADINGS:
        problems = list(_missing_headings(rel, text, MARKDOWN_HEADINGS[kind]))
        if problems:
            raise InvalidInput(problems)
        return Artifact(kind, name, None, payload)
    document = _json(rel, text)
    model = ARTIFACT_SCHEMAS[kind]
    try:
        value = model.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(
            _problem(rel, text, tuple(e["loc"]), _message(e)) for e in exc.errors(include_url=False)
        ) from None
    found = [
        _problem(rel, text, loc, message) for loc, message in _contract(kind, name, value, plan)
    ]
    if found:
        raise InvalidInput(found)
    return Artifact(kind, name, value, payload)


def load_stored(name: str, payload: bytes) -> BaseModel | None:
    """An artifact already recorded, read back without the checks against the plan."""
    kind = kind_of(name)
    if kind in MARKDOWN_HEADINGS:
        return None
    return ARTIFACT_SCHEMAS[kind].model_validate_json(payload)


# -- reading ---------------------------------------------------------------


def _text(rel: str, payload: bytes) -> str:
    if len(payload) > MAX_BYTES:
        raise InvalidInput.one(rel, 0, f"larger than {MAX_BYTES // 1024} KiB")
    if b"\0" in payload:
        raise InvalidInput.one(rel, payload[: payload.index(b"\0")].count(b"\n") + 1, "binary")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        raise InvalidInput.one(rel, line, "not valid UTF-8 text") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _json(rel: str, text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise InvalidInput.one(rel, exc.lineno, f"invalid JSON: {exc.msg}") from None
    except ValueError as exc:
        raise InvalidInput.one(rel, 1, f"invalid JSON: {exc}") from None
    except RecursionError:
        raise InvalidInput.one(rel, 1, "invalid JSON: nesting too deep") from None


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    return str(error["msg"])


def _problem(rel: str, text: str, loc: tuple[Any, ...], message: str) -> Problem:
    pointer = "".join(f"/{str(part).replace('~', '~0').replace('/', '~1')}" for part in loc)
    return Problem(rel, _line_of(text, loc), f"{pointer or '/'}: {message}")


def _line_of(text: str, loc: Sequence[Any]) -> int:
    """The line where the value at LOC starts in the JSON TEXT (the deepest part found)."""
    decoder = json.JSONDecoder()
    at = _skip(text, 0)
    for part in loc:
        found = _child(text, at, part, decoder)
        if found is None:
            break
        at = found
    return text.count("\n", 0, at) + 1


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _child(text: str, at: int, part: Any, decoder: json.JSONDecoder) -> int | None:
    """Where the member PART of the object or array starting at AT begins."""
    if at >= len(text) or text[at] not in "{[":
        return None
    is_object = text[at] == "{"
    index = 0
    at = _skip(text, at + 1)
    try:
        while at < len(text) and text[at] not in "}]":
            if is_object:
                key, at = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
                at = _skip(text, _skip(text, at) + 1)  # past the colon
                hit = key == str(part)
            else:
                hit = index == part
            if hit:
                return at
            _, at = decoder.raw_decode(text, at)
            at = _skip(text, at)
            at = _skip(text, at + 1) if at < len(text) and text[at] == "," else at
            index += 1
    except (ValueError, IndexError):
        return None
    return None


def _missing_headings(rel: str, text: str, headings: Sequence[str]) -> Iterator[Problem]:
    present = {
        match.group(1).strip().lower()
        for match in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", text, flags=re.MULTILINE)
    }
    for heading in headings:
        if heading.lower() not in present:
            yield Problem(rel, 1, f"missing the required heading `## {heading}`")


# -- what a schema cannot say ---------------------------------------------

Found = Iterator[tuple[tuple[Any, ...], str]]


def _contract(kind: str, name: str, value: BaseModel, plan: Plan | None) -> Found:
    if isinstance(value, Plan):
        yield from _plan(value)
    elif isinstance(value, Briefing):
        yield from _briefing(name, value, plan)
    elif isinstance(value, Review):
        critical = [i for i, issue in enumerate(value.issues) if issue.severity == "critical"]
        if value.verdict == "pass" and critical:
            yield ("verdict",), f"cannot be pass with a critical issue (/issues/{critical[0]})"
    elif isinstance(value, TestResults):
        yield from _test_results(value, plan)
    elif isinstance(value, SecurityReview):
        yield from _security(value)
    elif isinstance(value, Improvements):
        yield from _twice(("improvements",), [i.id for i in value.improvements], "improvement id")


def _twice(where: tuple[Any, ...], ids: Sequence[str], what: str) -> Found:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            yield (*where, index, "id"), f"{what} {ident} is used twice"
        seen.add(ident)


def _plan(plan: Plan) -> Found:
    tasks = {task.id for task in plan.tasks}
    yield from _twice(("tasks",), [t.id for t in plan.tasks], "task id")
    yield from _twice(("user_journeys",), [j.id for j in plan.user_journeys], "journey id")
    criteria: set[str] = set()
    edges: set[str] = set()
    for index, task in enumerate(plan.tasks):
        for number, dependency in enumerate(task.depends_on):
            if dependency not in tasks or dependency == task.id:
                yield ("tasks", index, "depends_on", number), f"{dependency} is no other task"
        for number, criterion in enumerate(task.acceptance_criteria):
            if criterion.id in criteria:
                where = ("tasks", index, "acceptance_criteria", number, "id")
                yield where, f"criterion id {criterion.id} is used twice"
            criteria.add(criterion.id)
        for number, edge in enumerate(task.edge_cases):
            if edge.id in edges:
                yield ("tasks", index, "edge_cases", number, "id"), f"edge case {edge.id} twice"
            edges.add(edge.id)


def _briefing(name: str, briefing: Briefing, plan: Plan | None) -> Found:
    expected = f"{BRIEFINGS}/{briefing.agent}-{briefing.task}.json"
    if name != expected:
        yield ("agent",), f"a briefing for {briefing.agent} on {briefing.task} is named {expected}"
    if plan is None:
        yield ("task",), "the run has no plan.json yet: record the plan before its briefings"
        return
    task = next((t for t in plan.tasks if t.id == briefing.task), None)
    if task is None:
        yield ("task",), f"the plan has no task {briefing.task}"
        return
    own = {c.id for c in task.acceptance_criteria}
    for index, criterion in enumerate(briefing.acceptance_criteria):
        if criterion not in own:
            yield ("acceptance_criteria", index), f"task {task.id} has no criterion {criterion}"


def plan_items(plan: Plan) -> dict[str, list[str]]:
    """The ids a test-results coverage matrix answers for, by section."""
    return {
        "acceptance_criteria": [c.id for t in plan.tasks for c in t.acceptance_criteria],
        "user_journeys": [j.id for j in plan.user_journeys],
        "edge_cases": [e.id for t in plan.tasks for e in t.edge_cases],
    }


def _test_results(results: TestResults, plan: Plan | None) -> Found:
    counted = results.passed + results.failed + results.skipped
    if results.total != counted:
        yield ("total",), f"is {results.total}, but passed + failed + skipped is {counted}"
    if results.verdict == "pass" and results.failed:
        yield ("verdict",), f"cannot be pass with {results.failed} failed test(s)"
    if len(results.failures) > results.failed:
        yield (
            ("failures",),
            f"lists {len(results.failures)} failures, but failed is {results.failed}",
        )
    if plan is None:
        return
    items = plan_items(plan)
    for section, wanted in items.items():
        matrix: dict[str, list[str]] = getattr(results.coverage, section)
        for ident in matrix:
            if ident not in wanted:
                yield ("coverage", section, ident), f"the plan has no {ident}"
    uncovered = [
        c for c in items["acceptance_criteria"] if not results.coverage.acceptance_criteria.get(c)
    ]
    if results.verdict == "pass" and uncovered:
        yield (
            ("coverage", "acceptance_criteria"),
            f"verdict pass, but no test covers {', '.join(uncovered)}",
        )


def _security(review: SecurityReview) -> Found:
    allowed = OWASP_TOP_10 if review.framework == "owasp-top-10" else STRIDE
    for index, finding in enumerate(review.findings):
        if finding.category not in allowed:
            yield (
                ("findings", index, "category"),
                f"{finding.category!r} is not a {review.framework} category ({', '.join(allowed)})",
            )
    blocking = [i for i, f in enumerate(review.findings) if f.severity in BLOCKING_SECURITY]
    if review.verdict == "pass" and blocking:
        yield (
            ("verdict",),
            f"cannot be pass with a critical or high finding (/findings/{blocking[0]})",
        )
