"""An MCP server over stdio: the factory's context and memory as tools for agents.

Built on the official `mcp` SDK (the optional extra `factory-os[mcp]`). Every
call reads the files afresh (through the document cache), so an agent sees
what is in the work tree now, not what was there when the server started.
Errors come back as tool errors carrying fos's one-line message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from factory_os import store
from factory_os.context.bundle import Selection, build_context, select_rules
from factory_os.errors import EnvironmentProblem, FosError, InvalidInput
from factory_os.memory.catalog import Catalog, RuleInfo

INSTALL_HINT = "the MCP server needs the mcp package: pip install 'factory-os[mcp]'"
INSTRUCTIONS = (
    "The memory and rules of this repository's factory. Call session_start at the start"
    " of a session with your role and the paths you will touch (it records what you were"
    " shown; get_context only shows it); call show with any id the context lists as"
    " omitted; call check_paths before writing files; call record_incident when something"
    " went wrong, so that it can become a rule; call add_knowledge for what the next"
    " session should know; call session_end with your digest before you stop."
)
F = TypeVar("F", bound=Callable[..., Any])


def _sdk() -> tuple[Any, type[Exception]]:
    """The SDK's server class and the error a tool raises to report a failure."""
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError

        return MCPServer, ToolError
    except ImportError:
        pass
    try:  # the SDK's 1.x names
        from mcp.server.fastmcp import FastMCP  # type: ignore[attr-defined,unused-ignore]
        from mcp.server.fastmcp.exceptions import (  # type: ignore[import-not-found,unused-ignore]
            ToolError as ToolError1,
        )

        return FastMCP, ToolError1
    except ImportError:
        raise EnvironmentProblem(INSTALL_HINT) from None


def _plain_errors(function: F, tool_error: type[Exception]) -> F:
    """fos errors reach the client as their one-line message, not as a crash."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except InvalidInput as exc:
            raise tool_error("\n".join(str(p) for p in exc.problems)) from None
        except FosError as exc:
            raise tool_error(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def rule_json(rule: RuleInfo) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "statement": rule.statement,
        "severity": rule.severity,
        "status": rule.status,
        "superseded_by": rule.superseded_by,
        "scope": {"roles": list(rule.roles), "paths": list(rule.paths)},
        "check": rule.check,
        "path": rule.rel,
    }


def show_text(factory: store.Factory, identifier: str) -> str:
    """The document named IDENTIFIER: a decision, rule, incident, digest or note."""
    if identifier.startswith("D-"):
        from factory_os.memory.dna import find_decision
        from factory_os.model.dna import render_decision

        return render_decision(find_decision(factory, identifier))
    folders = {"R-": ("rules", ".yaml"), "INC-": ("incidents", ".md"), "S-": ("digests", ".md")}
    folder, suffix = next(
        (v for prefix, v in folders.items() if identifier.startswith(prefix)),
        ("knowledge", ".md"),
    )
    if "/" in identifier or "\\" in identifier or identifier.startswith("."):
        raise FosError(f"{identifier!r} is not an id")
    path = factory.dir / folder / f"{identifier}{suffix}"
    if not path.is_file():
        raise FosError(f"nothing is called {identifier} in .factory/{folder}/")
    return store.read_text(path, factory.rel(path))


def check_paths_text(cwd: Path, *, paths: list[str], member: str | None, role: str | None) -> str:
    from factory_os.integrations.checks import seam
    from factory_os.rules import check_paths

    if not paths:
        raise FosError("name at least one path")
    factory = store.find_factory(cwd)
    absolute = [p if Path(p).is_absolute() else str(factory.root / p) for p in paths]
    findings = check_paths(factory, member=member, role=role, paths=absolute, seam=seam())
    body = {
        "allowed": not any(f.blocking for f in findings),
        "findings": [f.as_json() for f in findings],
    }
    return json.dumps(body, ensure_ascii=False)


def record_incident_text(
    cwd: Path, *, title: str, severity: str, summary: str, narrative: str, actor: str | None
) -> str:
    from factory_os.memory.incidents import add_incident
    from factory_os.model.vocabulary import INCIDENT_SEVERITIES

    if severity not in INCIDENT_SEVERITIES:
        raise FosError(
            f"severity must be one of {', '.join(INCIDENT_SEVERITIES)}, not {severity!r}"
        )
    if not title.strip():
        raise FosError("an incident needs a title")
    narrative = store.text_of(narrative.encode("utf-8", "surrogatepass"), "narrative")
    return add_incident(
        cwd=cwd,
        title=title,
        severity=severity,
        summary=summary,
        narrative=narrative if narrative.strip() else None,
        actor=actor,
    )


def session_start_text(cwd: Path, *, actor: str | None, **selection: Any) -> str:
    from factory_os.context.sessions import start_session
    from factory_os.rules.actor import resolve_actor

    who = resolve_actor(cwd, actor or selection.get("member"))
    opened = start_session(store.find_factory(cwd), actor=who, **selection)
    return json.dumps(opened.to_json(), ensure_ascii=False)


def session_end_text(
    cwd: Path, *, session: str, sections: dict[str, list[str]], digest: str, actor: str | None
) -> str:
    from factory_os.context.sessions import digest_body, end_session
    from factory_os.rules.actor import resolve_actor

    if digest.strip() and any(sections.values()):
        raise FosError("give either digest or the sections (done, not_done, ...), not both")
    body = store.text_of(digest.encode("utf-8", "surrogatepass"), "digest")
    path, _entry = end_session(
        store.find_factory(cwd),
        session_id=session,
        actor=resolve_actor(cwd, actor),
        body=body if body.strip() else digest_body(sections),
    )
    return path


def add_knowledge_text(
    cwd: Path,
    *,
    title: str,
    body: str,
    tags: list[str],
    paths: list[str],
    review_by: str | None,
    slug: str | None,
    actor: str | None,
) -> str:
    from datetime import date

    from factory_os.memory.knowledge import add_note
    from factory_os.rules.actor import resolve_actor

    try:
        review = date.fromisoformat(review_by) if review_by else None
    except ValueError:
        raise FosError(f"review_by must be a date YYYY-MM-DD, not {review_by!r}") from None
    factory = store.find_factory(cwd)
    path = add_note(
        factory,
        title=title,
        actor=resolve_actor(cwd, actor),
        tags=tags,
        paths=paths,
        review_by=review,
        body=store.text_of(body.encode("utf-8", "surrogatepass"), "body"),
        slug=slug,
    )
    return factory.rel(path)


def build_server(cwd: Path) -> Any:
    """The MCP server for the factory found from CWD (looked up on every call)."""
    server_class, tool_error = _sdk()
    server = server_class("factory-os", instructions=INSTRUCTIONS)

    def get_context(
        role: str | None = None,
        member: str | None = None,
        paths: list[str] | None = None,
        tags: list[str] | None = None,
        budget: int | None = None,
        format: str = "markdown",
    ) -> str:
        """The session-start bundle: the rules binding the role and paths (every blocking
        one, or an error when they alone exceed the budget), accepted decisions, matching
        knowledge, the latest digests, within a token budget. format: "markdown" (the
        text) or "json" (with the manifest and the omitted ids)."""
        bundle = build_context(
            store.find_factory(cwd),
            role=role,
            member=member,
            paths=paths or (),
            tags=tags or (),
            budget=budget,
        )
        if format == "json":
            return json.dumps(bundle.to_json(), ensure_ascii=False)
        return bundle.text

    def list_rules(
        role: str | None = None, paths: list[str] | None = None, include_inactive: bool = False
    ) -> str:
        """The rules as JSON, blocking first. With role or paths, only the active rules
        that bind them; include_inactive also lists superseded and retired rules."""
        catalog = Catalog(store.find_factory(cwd))
        try:
            rules = catalog.rules_with_status()
        finally:
            catalog.close()
        if role or paths or not include_inactive:
            selection = Selection(
                role=role, roles=(role,) if role else (), paths=tuple(paths or ())
            )
            rules = select_rules(rules, selection)
        return json.dumps({"rules": [rule_json(r) for r in rules]}, ensure_ascii=False)

    def show(id: str) -> str:
        """The full text of a decision (D-...), rule (R-...), incident (INC-...),
        session digest (S-...) or knowledge note (its slug)."""
        return show_text(store.find_factory(cwd), id)

    def check_paths(paths: list[str], member: str | None = None, role: str | None = None) -> str:
        """Would writing PATHS (relative to the repository, or absolute) break a path rule
        for MEMBER (default: FOS_ACTOR or git's user.email), acting as ROLE if given?
        JSON: allowed (no blocking finding) and the findings, each with its rule id."""
        return check_paths_text(cwd, paths=paths, member=member, role=role)

    def record_incident(
        title: str,
        severity: str,
        summary: str = "",
        narrative: str = "",
        actor: str | None = None,
    ) -> str:
        """Record an incident (severity: low, medium, high or critical) with its ledger
        entry; returns its id. narrative: Markdown (what happened, impact, root cause);
        actor defaults to FOS_ACTOR or git's user.email."""
        return record_incident_text(
            cwd, title=title, severity=severity, summary=summary, narrative=narrative, actor=actor
        )

    def session_start(
        role: str | None = None,
        member: str | None = None,
        paths: list[str] | None = None,
        tags: list[str] | None = None,
        budget: int | None = None,
        actor: str | None = None,
    ) -> str:
        """Open a session: the context of get_context, and a session.started ledger entry
        recording its manifest hash (proof of what you were shown). JSON: session (its
        id, for session_end), head, manifest_hash, context. actor defaults to FOS_ACTOR
        or git's user.email."""
        return session_start_text(
            cwd,
            actor=actor,
            role=role,
            member=member,
            paths=paths or (),
            tags=tags or (),
            budget=budget,
        )

    def session_end(
        session: str,
        done: list[str] | None = None,
        not_done: list[str] | None = None,
        decisions: list[str] | None = None,
        pitfalls: list[str] | None = None,
        next: list[str] | None = None,
        digest: str = "",
        actor: str | None = None,
    ) -> str:
        """Close SESSION (the id session_start gave) with its digest: the items of each
        section (done, not_done, decisions, pitfalls, next), or digest, a Markdown body
        without front matter. Writes .factory/digests/<session>.md, which the next
        session is shown, and returns its path."""
        sections = {
            "done": done or [],
            "not_done": not_done or [],
            "decisions": decisions or [],
            "pitfalls": pitfalls or [],
            "next": next or [],
        }
        return session_end_text(cwd, session=session, sections=sections, digest=digest, actor=actor)

    def add_knowledge(
        title: str,
        body: str = "",
        tags: list[str] | None = None,
        paths: list[str] | None = None,
        review_by: str | None = None,
        slug: str | None = None,
        actor: str | None = None,
    ) -> str:
        """Write a knowledge note: what a later session working on PATHS (globs) or with
        TAGS should know. body: Markdown; review_by: YYYY-MM-DD, after which fos drift
        asks for a review. Returns the note's path (its file name is its id)."""
        return add_knowledge_text(
            cwd,
            title=title,
            body=body,
            tags=tags or [],
            paths=paths or [],
            review_by=review_by,
            slug=slug,
            actor=actor,
        )

    tools = (get_context, list_rules, show, check_paths, record_incident)
    for tool in (*tools, session_start, session_end, add_knowledge):
        server.tool()(_plain_errors(tool, tool_error))
    return server


def serve(cwd: Path) -> None:
    """Run the server on stdin/stdout until the client closes it."""
    store.find_factory(cwd)  # fail now, with a plain message, outside any factory
    build_server(cwd).run("stdio")
